using System.Globalization;
using System.Text;
using System.Text.Json;
using AudioClassifier.Audio.Decoding;
using AudioClassifier.Client;
using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Cli.Commands;

/// <summary>A label and score for one clip, whichever classifier produced it.</summary>
public sealed record PredictedLabel(string Label, float Score);

/// <summary>One row of <c>audioclf classify</c> output.</summary>
public sealed record PredictionRow(string Path, IReadOnlyList<PredictedLabel> TopK, string? Error = null);

/// <summary>One clip could not be classified (bad audio, or the service refused it); the batch goes on.</summary>
public sealed class ClipFailedException(string message, Exception inner) : Exception(message, inner);

/// <summary>Classifies files either with a local model or through a running service.</summary>
internal interface IClipClassifier : IDisposable
{
    string Description { get; }

    Task<IReadOnlyList<PredictedLabel>> ClassifyAsync(string path, int topK, CancellationToken ct);
}

/// <summary>In-process: the ONNX engine on a local model file.</summary>
internal sealed class LocalClipClassifier(AudioClassifierEngine engine) : IClipClassifier
{
    public static LocalClipClassifier Create(string? modelPath, ExecutionProviderPreference provider) =>
        modelPath is null
            ? throw new ArgumentException($"no model given and none found (pass --model, set AUDIOCLF_MODEL, or add models/{DefaultModel.FileName}).")
            : new LocalClipClassifier(new AudioClassifierEngine(new AudioClassifierOptions { ModelPath = modelPath, ExecutionProvider = provider, DynamicBatching = false }));

    public string Description => $"{engine.Contract.ModelName} {engine.Contract.ModelVersion} on {engine.ExecutionProvider}";

    public async Task<IReadOnlyList<PredictedLabel>> ClassifyAsync(string path, int topK, CancellationToken ct)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            var result = await engine.ClassifyAsync(stream, Math.Min(topK, engine.Contract.Labels.Count), ct);
            return result.TopK.Select(s => new PredictedLabel(s.Label, s.Score)).ToList();
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

    public async Task<IReadOnlyList<PredictedLabel>> ClassifyAsync(string path, int topK, CancellationToken ct)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            var result = await _client.ClassifyAsync(stream, Path.GetFileName(path), topK, cancellationToken: ct);
            return result.TopK.Select(s => new PredictedLabel(s.Label, s.Score)).ToList();
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
    /// <summary>One line per clip; when any clip failed, an <c>error</c> column says why (its label cells empty).</summary>
    public static string Csv(IReadOnlyList<PredictionRow> rows, int k)
    {
        bool errors = rows.Any(r => r.Error is not null);
        var s = new StringBuilder("path,label,score");
        for (int i = 2; i <= k; i++)
            s.Append(CultureInfo.InvariantCulture, $",label_{i},score_{i}");
        if (errors)
            s.Append(",error");
        s.AppendLine();
        foreach (var row in rows)
        {
            s.Append(Escape(row.Path));
            foreach (var p in row.TopK)
                s.Append(CultureInfo.InvariantCulture, $",{Escape(p.Label)},{p.Score:0.000000}");
            for (int i = row.TopK.Count; i < k && errors; i++)
                s.Append(",,");
            if (errors)
                s.Append(',').Append(Escape(row.Error ?? ""));
            s.AppendLine();
        }
        return s.ToString();
    }

    /// <summary>An array of {path, label, score, top_k}, or {path, error} for a clip that failed.</summary>
    public static string Json(IReadOnlyList<PredictionRow> rows) =>
        JsonSerializer.Serialize(rows.Select(r => r.Error is not null
                ? (object)new { path = r.Path, error = r.Error }
                : new { path = r.Path, label = r.TopK[0].Label, score = r.TopK[0].Score, top_k = r.TopK.Select(p => new { label = p.Label, score = p.Score }) }),
            new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine;

    private static string Escape(string value) => value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
}
