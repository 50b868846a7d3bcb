using System.Globalization;
using System.Text;
using System.Text.Json;
using AudioClassifier.Audio.Decoding;
using AudioClassifier.Client;
using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Cli.Commands;

/// <summary>A label and score for one clip, whichever classifier produced it.</summary>
public sealed record PredictedLabel(string Label, float Score);

/// <summary>A stretch of a clip where one label wins (from the model's windows), and whether it is recognised.</summary>
public sealed record PredictedEvent(double StartSeconds, double EndSeconds, string Label, float Score, bool Recognised = true);

/// <summary>What a classifier says of one clip: top-k (empty when silent), whether it is silent, its events, and the
/// open-set decision (recognised, the score it was decided on and the threshold; null threshold: none).</summary>
public sealed record ClipPrediction(IReadOnlyList<PredictedLabel> TopK, bool Silent, IReadOnlyList<PredictedEvent> Events)
{
    public bool Recognised { get; init; } = true;

    public double RecognitionScore { get; init; }

    public string RecognitionScoreType { get; init; } = "max_probability";

    public double? Threshold { get; init; }
}

/// <summary>One row of <c>audioclf classify</c> output.</summary>
public sealed record PredictionRow(string Path, IReadOnlyList<PredictedLabel> TopK, string? Error = null)
{
    public bool Silent { get; init; }

    public IReadOnlyList<PredictedEvent> Events { get; init; } = [];

    /// <summary>The open-set decision (null for a clip that failed).</summary>
    public ClipPrediction? Decision { get; init; }
}

/// <summary>One clip could not be classified (bad audio, or the service refused it); the batch goes on.</summary>
public sealed class ClipFailedException(string message, Exception inner) : Exception(message, inner);

/// <summary>Classifies files either with a local model or through a running service.</summary>
internal interface IClipClassifier : IDisposable
{
    string Description { get; }

    Task<ClipPrediction> ClassifyAsync(string path, int topK, CancellationToken ct);
}

/// <summary>In-process: the ONNX engine on a local model file.</summary>
internal sealed class LocalClipClassifier(AudioClassifierEngine engine) : IClipClassifier
{
    public static LocalClipClassifier Create(string? modelPath, ExecutionProviderPreference provider) =>
        modelPath is null
            ? throw new ArgumentException($"no model given and none found (pass --model, set AUDIOCLF_MODEL, or add models/{DefaultModel.FileName}).")
            : new LocalClipClassifier(new AudioClassifierEngine(new AudioClassifierOptions { ModelPath = modelPath, ExecutionProvider = provider, DynamicBatching = false }));

    public string Description => $"{engine.Contract.ModelName} {engine.Contract.ModelVersion} on {engine.ExecutionProvider}";

    public async Task<ClipPrediction> ClassifyAsync(string path, int topK, CancellationToken ct)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            var result = await engine.ClassifyAsync(stream, Math.Min(topK, engine.Contract.Labels.Count), ct);
            return new ClipPrediction(result.TopK.Select(s => new PredictedLabel(s.Label, s.Score)).ToList(), result.Silent,
                result.Events.Select(e => new PredictedEvent(e.StartSeconds, e.EndSeconds, e.Label, e.Score, e.Recognised)).ToList())
            {
                Recognised = result.Recognised, RecognitionScore = result.RecognitionScore, RecognitionScoreType = result.RecognitionScoreName, Threshold = result.Threshold,
            };
        }
        catch (AudioDecodeException e)
        {
            throw new ClipFailedException($"cannot decode ({e.Kind}): {e.Message}", e);
        }
    }

    public void Dispose() => engine.Dispose();
}

/// <summary>Through the service with the .NET client (retries, circuit breaker, API key).</summary>
internal sealed class RemoteClipClassifier : IClipClassifier
{
    private readonly Uri service;
    private readonly AudioClassifierClient _client;

    public RemoteClipClassifier(Uri service, string? apiKey)
    {
        this.service = service;
        _client = AudioClassifierClientFactory.CreateStandalone(o =>
        {
            o.BaseAddress = service;
            o.ApiKey = apiKey;
        });
    }

    public string Description => $"the service at {service}";

    public async Task<ClipPrediction> ClassifyAsync(string path, int topK, CancellationToken ct)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            var result = await _client.ClassifyAsync(stream, Path.GetFileName(path), topK, cancellationToken: ct);
            return new ClipPrediction(result.TopK.Select(s => new PredictedLabel(s.Label, s.Score)).ToList(), result.Silent,
                result.Events.Select(e => new PredictedEvent(e.StartSeconds, e.EndSeconds, e.Label, e.Score, e.Recognised)).ToList())
            {
                Recognised = result.Recognised, RecognitionScore = result.RecognitionScore, RecognitionScoreType = result.RecognitionScoreType, Threshold = result.Threshold,
            };
        }
        catch (InvalidAudioException e)
        {
            throw new ClipFailedException($"refused ({(int)e.StatusCode}): {e.Problem?.Detail ?? e.Message}", e);
        }
        catch (AudioClassifierException e) when (e is PayloadTooLargeException)
        {
            throw new ClipFailedException($"refused (413): {e.Problem?.Detail ?? e.Message}", e);
        }
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>CSV (path,label,score + label_N,score_N) and JSON renderings of the predictions.</summary>
internal static class PredictionWriter
{
    /// <summary>One line per clip, the same columns whatever the clips (runs can be concatenated and read by position):
    /// path, label, score, label_N/score_N up to k, then <c>silent</c> (a silent clip's label cells are empty),
    /// <c>recognised</c> and <c>recognition_score</c> (empty without a calibrated model or a configured threshold),
    /// <c>events</c> ("label@start-end" joined by ';' when a clip holds more than one; "?" after a not-recognised one)
    /// and <c>error</c> (a failed clip's label cells empty).</summary>
    public static string Csv(IReadOnlyList<PredictionRow> rows, int k)
    {
        var s = new StringBuilder("path,label,score");
        for (int i = 2; i <= k; i++)
            s.Append(CultureInfo.InvariantCulture, $",label_{i},score_{i}");
        s.AppendLine(",silent,recognised,recognition_score,events,error");
        foreach (var row in rows)
        {
            s.Append(Escape(row.Path));
            foreach (var p in row.TopK.Take(k))
                s.Append(CultureInfo.InvariantCulture, $",{Escape(p.Label)},{p.Score:0.000000}");
            for (int i = Math.Min(row.TopK.Count, k); i < k; i++)
                s.Append(",,");
            s.Append(row.Error is not null ? "," : row.Silent ? ",true" : ",false");
            s.Append(row.Decision is { Threshold: not null } d ? string.Create(CultureInfo.InvariantCulture, $",{(d.Recognised ? "true" : "false")},{d.RecognitionScore:0.000000}") : ",,");
            s.Append(',').Append(Escape(row.Events.Count > 1
                ? string.Join(';', row.Events.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Label}@{e.StartSeconds:0.##}-{e.EndSeconds:0.##}{(e.Recognised ? "" : "?")}")))
                : ""));
            s.Append(',').Append(Escape(row.Error ?? ""));
            s.AppendLine();
        }
        return s.ToString();
    }

    /// <summary>An array of {path, label, score, top_k, silent, recognised, recognition_score, recognition_score_type,
    /// threshold, events} (label null when silent), or {path, error} for a clip that failed.</summary>
    public static string Json(IReadOnlyList<PredictionRow> rows) =>
        JsonSerializer.Serialize(rows.Select(r => r.Error is not null
                ? (object)new { path = r.Path, error = r.Error }
                : new
                {
                    path = r.Path,
                    label = r.TopK.Count > 0 ? r.TopK[0].Label : null,
                    score = r.TopK.Count > 0 ? r.TopK[0].Score : 0,
                    top_k = r.TopK.Select(p => new { label = p.Label, score = p.Score }),
                    silent = r.Silent,
                    recognised = r.Decision?.Recognised ?? !r.Silent,
                    recognition_score = r.Decision?.RecognitionScore ?? 0,
                    recognition_score_type = r.Decision?.RecognitionScoreType ?? "max_probability",
                    threshold = r.Decision?.Threshold,
                    events = r.Events.Select(e => new { start_seconds = e.StartSeconds, end_seconds = e.EndSeconds, label = e.Label, score = e.Score, recognised = e.Recognised }),
                }),
            new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine;

    private static string Escape(string value) => value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
}
