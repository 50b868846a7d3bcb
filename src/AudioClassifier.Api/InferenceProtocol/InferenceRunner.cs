using System.Globalization;
using AudioClassifier.Api.Observability;
using AudioClassifier.Audio.Decoding;
using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Api.InferenceProtocol;

/// <summary>
/// The model as the Open Inference Protocol sees it, shared by REST and gRPC: one input, either <c>audio</c> (BYTES,
/// one encoded WAV/MP3/Ogg clip per element, classified like /classify: windows averaged) or <c>log_mel</c> (FP32
/// [batch, 1, n_mels, frames], the model's own input, one window per row); outputs <c>probabilities</c>
/// (FP32 [batch, classes], or with Triton's classification parameter the top k as "score:index:label"),
/// <c>labels</c> (BYTES [batch], the top-1 label), <c>recognition_score</c> (FP32 [batch], the score the "not
/// recognised" decision is made on, as /classify's recognition_score) and <c>recognised</c> (BOOL [batch]; a silent
/// clip is not recognised). Limits are /classify's: the longest clip's audio (or its windows)
/// per request, and the same time budget, batching and cancellation.
/// </summary>
public static class InferenceRunner
{
    public const string AudioInput = "audio";
    public const string FeaturesInput = "log_mel";
    public const string ProbabilitiesOutput = "probabilities";
    public const string LabelsOutput = "labels";
    public const string RecognitionScoreOutput = "recognition_score";
    public const string RecognisedOutput = "recognised";

    /// <summary>Every output, in the order they come back when none is asked for.</summary>
    public static readonly string[] Outputs = [ProbabilitiesOutput, LabelsOutput, RecognitionScoreOutput, RecognisedOutput];

    /// <summary>Runs one request; throws <see cref="InferenceProtocolException"/> for what the caller must fix.</summary>
    /// <param name="deadline">The request's budget, started by the caller once the request has arrived (at
    /// <paramref name="started"/>): the longest audio's while the clips are decoded, then the decoded audio's, like
    /// /classify's.</param>
    public static async Task<IReadOnlyList<InferOutput>> RunAsync(AudioClassifierEngine engine, IReadOnlyList<InferInput> inputs,
        IReadOnlyList<RequestedOutput>? outputs, ServiceOptions settings, CancellationTokenSource deadline, long started, ServiceMetrics metrics)
    {
        if (inputs.Count != 1)
            throw Bad($"Send exactly one input, '{AudioInput}' (BYTES, encoded clips) or '{FeaturesInput}' (FP32 log-mel windows); got {inputs.Count}.");
        var requested = Requested(outputs);
        var input = inputs[0];
        var scored = input.Name switch
        {
            AudioInput => await ClassifyClipsAsync(engine, input, settings, deadline, started, metrics).ConfigureAwait(false),
            FeaturesInput => await ScoreWindowsAsync(engine, input, deadline.Token).ConfigureAwait(false),
            _ => throw Bad($"Unknown input '{input.Name}': this model takes '{AudioInput}' (BYTES) or '{FeaturesInput}' (FP32)."),
        };
        return requested.Select(r => Output(r, engine.Contract.Labels, scored)).ToList();
    }

    private static List<RequestedOutput> Requested(IReadOnlyList<RequestedOutput>? outputs)
    {
        if (outputs is null || outputs.Count == 0)
            return Outputs.Select(name => new RequestedOutput(name)).ToList();
        foreach (var o in outputs)
        {
            if (!Outputs.Contains(o.Name))
                throw Bad($"Unknown output '{o.Name}': this model has {string.Join(", ", Outputs.Select(n => $"'{n}'"))}.");
            if (o.Classification < 0)
                throw Bad($"Output '{o.Name}': classification must be a positive count (got {o.Classification}).");
            if (o.Classification > 0 && o.Name != ProbabilitiesOutput)
                throw Bad($"Output '{o.Name}': the classification parameter applies to '{ProbabilitiesOutput}' only.");
        }
        if (outputs.Select(o => o.Name).Distinct().Count() != outputs.Count)
            throw Bad("An output is requested twice.");
        return outputs.ToList();
    }

    private static async Task<WindowScores> ClassifyClipsAsync(AudioClassifierEngine engine, InferInput input, ServiceOptions settings, CancellationTokenSource deadline, long started, ServiceMetrics metrics)
    {
        if (input.Datatype != "BYTES")
            throw Bad($"Input '{AudioInput}' must be BYTES (encoded clips), not {input.Datatype}.");
        if (input.Shape.Length is < 1 or > 2 || (input.Shape.Length == 2 && input.Shape[1] != 1) || input.Shape[0] < 1)
            throw Bad($"Input '{AudioInput}' must have shape [batch] or [batch, 1] with batch ≥ 1; got {Shape(input.Shape)}.");
        var elements = input.Bytes ?? [];
        if (elements.Length != input.ElementCount)
            throw Bad($"Input '{AudioInput}' has shape {Shape(input.Shape)} ({input.ElementCount} elements) but {elements.Length} were sent.");
        var clips = new List<AudioClip>(elements.Length);
        double total = 0, limit = engine.Options.MaxAudioSeconds;
        RequestDeadline.EndAfter(deadline, settings.DecodeBudget(limit), System.Diagnostics.Stopwatch.GetElapsedTime(started));
        for (int i = 0; i < elements.Length; i++)
        {
            deadline.Token.ThrowIfCancellationRequested();
            // Each clip may hold only what the clips before it left of the request's total, so a batch is refused
            // while its audio is decoded, not after (nothing left that a clip could fill: refused before decoding).
            double left = limit - total + 1e-6;
            if (total > 0 && left < Math.Max(engine.Options.MinAudioSeconds, 1e-3))
                throw new InferenceProtocolException(422, $"Input '{AudioInput}' element {i}: the clips before it already hold {total:0.###} s of audio; a request may carry at most Classifier:MaxAudioSeconds ({limit:0.###} s) in all.");
            var watch = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                clips.Add(engine.Decode(new MemoryStream(elements[i], writable: false), left, deadline.Token));
            }
            catch (AudioTooLongException e) when (e.ExceedsDuration && total > 0)
            {
                throw new InferenceProtocolException(422, $"Input '{AudioInput}' element {i}: {e.Message} The clips before it hold {total:0.###} s, and a request may carry at most Classifier:MaxAudioSeconds ({limit:0.###} s) in all.");
            }
            catch (AudioDecodeException e)
            {
                int status = e.Kind switch
                {
                    AudioErrorKind.UnsupportedFormat => 415,
                    AudioErrorKind.Empty or AudioErrorKind.TooLong or AudioErrorKind.TooShort or AudioErrorKind.TooManyChannels => 422,
                    _ => 400,
                };
                throw new InferenceProtocolException(status, $"Input '{AudioInput}' element {i}: {e.Message}");
            }
            metrics.Decoded(watch.Elapsed, clips[^1].Duration.TotalSeconds);
            total += clips[^1].Duration.TotalSeconds;
            if (total > limit + 1e-6)
                throw new InferenceProtocolException(422, $"Input '{AudioInput}': the clips hold {total:0.###} s of audio by element {i}; a request may carry at most Classifier:MaxAudioSeconds ({limit:0.###} s).");
        }
        // Now that the audio's length is known, the budget is the one for it, as /classify's is.
        RequestDeadline.EndAfter(deadline, settings.BudgetFor(TimeSpan.FromSeconds(total)), System.Diagnostics.Stopwatch.GetElapsedTime(started));
        int classes = engine.Contract.Labels.Count;
        var results = await Task.WhenAll(clips.Select(c => engine.ClassifyAsync(c, classes, deadline.Token))).ConfigureAwait(false);
        var probabilities = new float[clips.Count * classes];
        for (int i = 0; i < results.Length; i++)
        {
            metrics.Classified(results[i].FeatureTime, results[i].InferenceTime);
            results[i].Probabilities.ToArray().CopyTo(probabilities, i * classes);
        }
        return new WindowScores(probabilities, results.Select(r => (float)r.RecognitionScore).ToArray(), results.Select(r => r.Recognised).ToArray());
    }

    private static async Task<WindowScores> ScoreWindowsAsync(AudioClassifierEngine engine, InferInput input, CancellationToken ct)
    {
        var spec = engine.Contract.Features;
        if (input.Datatype != "FP32")
            throw Bad($"Input '{FeaturesInput}' must be FP32, not {input.Datatype}.");
        if (input.Shape.Length != 4 || input.Shape[0] < 1 || input.Shape[1] != 1 || input.Shape[2] != spec.NMels || input.Shape[3] != spec.Frames)
            throw Bad($"Input '{FeaturesInput}' must have shape [batch, 1, {spec.NMels}, {spec.Frames}] with batch ≥ 1; got {Shape(input.Shape)}.");
        var values = input.Fp32 ?? [];
        if (values.Length != input.ElementCount)
            throw Bad($"Input '{FeaturesInput}' has shape {Shape(input.Shape)} ({input.ElementCount} values) but {values.Length} were sent.");
        int windows = checked((int)input.Shape[0]);
        int most = ClipWindows.For((int)Math.Ceiling(engine.Options.MaxAudioSeconds * spec.SampleRate), spec).Count;
        if (windows > most)
            throw new InferenceProtocolException(422, $"Input '{FeaturesInput}' has {windows} windows; a request may carry at most {most}, the windows of the longest clip (Classifier:MaxAudioSeconds {engine.Options.MaxAudioSeconds:0.###} s).");
        try
        {
            return await engine.ScoreWindowsAsync(values, windows, ct).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            throw Bad($"Input '{FeaturesInput}': {e.Message.Split(" (Parameter")[0]}");
        }
    }

    private static InferOutput Output(RequestedOutput r, IReadOnlyList<string> labels, WindowScores scored)
    {
        int classes = labels.Count, batch = scored.Recognised.Length;
        var probabilities = scored.Probabilities;
        switch (r.Name)
        {
            case LabelsOutput:
                var top = Enumerable.Range(0, batch).Select(b => labels[System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probabilities.AsSpan(b * classes, classes))]).ToArray();
                return new InferOutput(LabelsOutput, "BYTES", [batch], null, top, r.Binary);
            case RecognitionScoreOutput:
                return new InferOutput(RecognitionScoreOutput, "FP32", [batch], scored.RecognitionScores, null, r.Binary);
            case RecognisedOutput:
                return new InferOutput(RecognisedOutput, "BOOL", [batch], null, null, r.Binary) { Bools = scored.Recognised };
        }
        if (r.Classification == 0)
            return new InferOutput(ProbabilitiesOutput, "FP32", [batch, classes], probabilities, null, r.Binary);
        // Triton's classification extension: the top k of each row as "<score>:<index>:<label>".
        int k = Math.Min(r.Classification, classes);
        var strings = new string[batch * k];
        for (int b = 0; b < batch; b++)
        {
            var row = probabilities.AsSpan(b * classes, classes).ToArray();
            var order = Enumerable.Range(0, classes).OrderByDescending(i => row[i]).ThenBy(i => i).Take(k).ToArray();
            for (int j = 0; j < k; j++)
                strings[b * k + j] = string.Create(CultureInfo.InvariantCulture, $"{row[order[j]]:0.000000}:{order[j]}:{labels[order[j]]}");
        }
        return new InferOutput(ProbabilitiesOutput, "BYTES", [batch, k], null, strings, r.Binary);
    }


    internal static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";

    private static InferenceProtocolException Bad(string message) => new(400, message);
}
