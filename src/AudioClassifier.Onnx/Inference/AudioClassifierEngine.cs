using System.Diagnostics;
using AudioClassifier.Audio;
using AudioClassifier.Audio.Buffers;
using AudioClassifier.Audio.Decoding;
using AudioClassifier.Audio.Dsp;
using AudioClassifier.Audio.Features;
using AudioClassifier.Onnx.Contract;
using Microsoft.Extensions.Logging;

namespace AudioClassifier.Onnx.Inference;

/// <summary>
/// Classifies audio with an exported model: decodes and computes features with the shared front end using the spec
/// from the model's own contract, cuts long clips into windows, scores them (through the dynamic batcher when it is
/// on), and averages window probabilities into the clip's top-k. Thread-safe; create once and share.
/// </summary>
public sealed class AudioClassifierEngine : IDisposable
{
    /// <summary>The engine's spans (features, inference per batch of windows) for OpenTelemetry or any ActivityListener.</summary>
    public const string ActivitySourceName = "AudioClassifier.Engine";

    private static readonly ActivitySource Activities = new(ActivitySourceName);

    private readonly OnnxModel _model;
    private readonly ShapedRunner _runner;
    private readonly InferenceBatcher? _batcher;
    private readonly AudioFrontEnd _frontEnd;
    private readonly LogMelExtractor _extractor;

    public AudioClassifierEngine(AudioClassifierOptions options, ILogger<AudioClassifierEngine>? logger = null)
    {
        Options = options;
        _model = OnnxModel.Load(options, logger);
        _frontEnd = new AudioFrontEnd(_model.Contract.Features, new DecodeOptions { MaxDuration = TimeSpan.FromSeconds(options.MaxAudioSeconds), MinDuration = TimeSpan.FromSeconds(options.MinAudioSeconds) });
        _extractor = LogMelExtractor.For(_model.Contract.Features);
        _runner = new ShapedRunner(_model.Run, _model.InputSize, _model.RowWidth, _model.Shapes);
        if (options.MinScore is { } minScore && _model.HasFamiliarity)
            logger?.LogWarning("Classifier:MinScore {MinScore} replaces the model's threshold {Threshold} on its training similarity (a cosine in [-1, 1], not a probability).",
                minScore, _model.Contract.OpenSet!.Threshold);
        if (options.DynamicBatching)
        {
            _batcher = new InferenceBatcher(_runner, options, logger);
            _batcher.BatchRun += run => BatchRun?.Invoke(run);
        }
    }

    public AudioClassifierOptions Options { get; }

    public ModelContract Contract => _model.Contract;

    public string ExecutionProvider => _model.ExecutionProvider;

    /// <summary>Windows waiting for a batch right now.</summary>
    public int QueueDepth => _batcher?.QueueDepth ?? 0;

    /// <summary>The batch sizes every run is padded to.</summary>
    public BatchShapes BatchShapes => _model.Shapes;

    /// <summary>Raised after every inference run with its real windows and its shape.</summary>
    public event Action<BatchRunInfo>? BatchRun;

    /// <summary>Decodes an encoded stream (WAV/MP3/Ogg, sniffed; read asynchronously, so an ASP.NET Core request body
    /// can be passed as it is) and classifies it.</summary>
    public async Task<ClassificationResult> ClassifyAsync(Stream audio, int? topK = null, CancellationToken cancellationToken = default) =>
        await ClassifyAsync(await _frontEnd.DecodeAsync(audio, cancellationToken).ConfigureAwait(false), topK, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Classifies a decoded clip. A long clip goes to the model one batch of windows at a time (features computed,
    /// scored, then the next batch), so it holds at most one batch of queue slots and of feature memory: several
    /// 10-minute clips at once do not fill the queue, and a cancelled one stops after its current batch.
    /// </summary>
    public async Task<ClassificationResult> ClassifyAsync(AudioClip clip, int? topK = null, CancellationToken cancellationToken = default)
    {
        var audio = Prepare(clip);
        var silent = SilentWindows(audio);
        if (silent.All(s => s))
        {
            // Nothing to classify: answered as silence without running the model.
            audio.Release();
            return Summarise(new float[audio.Windows.Count * _model.RowWidth], audio.Windows, silent, audio.Length, topK ?? Options.DefaultTopK, clip.Duration.TotalSeconds);
        }
        int total = audio.Windows.Count, chunk = Math.Min(total, _model.Shapes.Max), size = _model.InputSize;
        var inputs = RequestBuffers.Rent<float>(chunk * size);
        var featureTime = TimeSpan.Zero;
        var inferenceTime = TimeSpan.Zero;
        try
        {
            float[]? rows = total <= chunk ? null : new float[total * _model.RowWidth];
            for (int first = 0; first < total; first += chunk)
            {
                int count = Math.Min(chunk, total - first);
                long start = Stopwatch.GetTimestamp();
                using (var span = Activities.StartActivity("features"))
                {
                    span?.SetTag("audioclf.windows", count);
                    WriteFeatures(audio, first, count, inputs.AsSpan(0, count * size), cancellationToken);
                }
                if (first + count == total)
                    audio.Release(); // the last batch's features are written: the samples are no longer needed
                long prepared = Stopwatch.GetTimestamp();
                float[] scores;
                using (var span = Activities.StartActivity("inference"))
                {
                    span?.SetTag("audioclf.windows", count);
                    scores = await ScoreAsync(inputs, count, cancellationToken).ConfigureAwait(false);
                }
                featureTime += Stopwatch.GetElapsedTime(start, prepared);
                inferenceTime += Stopwatch.GetElapsedTime(prepared);
                if (rows is null)
                    rows = scores;
                else
                    scores.CopyTo(rows, first * _model.RowWidth);
            }
            return Summarise(rows ?? [], audio.Windows, silent, audio.Length, topK ?? Options.DefaultTopK, clip.Duration.TotalSeconds) with { FeatureTime = featureTime, InferenceTime = inferenceTime };
        }
        finally
        {
            audio.Release(); // idempotent: already done after the last batch's features on success
            RequestBuffers.Return(inputs);
        }
    }

    /// <summary>Floats in one window of model input (n_mels × frames).</summary>
    public int InputSize => _model.InputSize;

    /// <summary>
    /// Scores windows given as the model's own input (<paramref name="count"/> log-mel matrices of
    /// <see cref="InputSize"/> floats, row-major, e.g. from the Open Inference Protocol's FP32 tensor) and returns
    /// count × classes probabilities. Goes to the model a batch at a time, like a long clip's windows.
    /// </summary>
    /// <exception cref="ArgumentException">The length is not count × <see cref="InputSize"/>, or a value is not finite or
    /// beyond ±<see cref="MaxFeatureMagnitude"/> dB.</exception>
    public async Task<float[]> ScoreFeaturesAsync(ReadOnlyMemory<float> features, int count, CancellationToken cancellationToken = default) =>
        (await ScoreWindowsAsync(features, count, cancellationToken).ConfigureAwait(false)).Probabilities;

    /// <summary>
    /// As <see cref="ScoreFeaturesAsync"/>, with each window's recognition score (<see cref="RecognitionScoreName"/>:
    /// its similarity to the nearest training clip, or its best probability) and whether it reaches
    /// <see cref="RecognitionThreshold"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The length is not count × <see cref="InputSize"/>, or a value is not finite or
    /// beyond ±<see cref="MaxFeatureMagnitude"/> dB.</exception>
    public async Task<WindowScores> ScoreWindowsAsync(ReadOnlyMemory<float> features, int count, CancellationToken cancellationToken = default)
    {
        int size = _model.InputSize, classes = _model.Classes, width = _model.RowWidth;
        if (count < 0 || features.Length != (long)count * size)
            throw new ArgumentException($"Expected {count} × {size} = {(long)count * size} values, got {features.Length}.", nameof(features));
        int bad = IndexOfNonFeature(features.Span);
        if (bad >= 0)
            throw new ArgumentException($"Value {bad} (window {bad / size}) is {features.Span[bad]}: features are log-mel values in dB and must be finite and within ±{MaxFeatureMagnitude:0} dB.", nameof(features));
        var probabilities = new float[count * classes];
        var recognition = new float[count];
        int chunk = Math.Max(1, _model.Shapes.Max);
        var inputs = RequestBuffers.Rent<float>(Math.Min(count, chunk) * size);
        try
        {
            for (int first = 0; first < count; first += chunk)
            {
                int n = Math.Min(chunk, count - first);
                features.Span.Slice(first * size, n * size).CopyTo(inputs);
                float[] scores;
                using (var span = Activities.StartActivity("inference"))
                {
                    span?.SetTag("audioclf.windows", n);
                    scores = await ScoreAsync(inputs, n, cancellationToken).ConfigureAwait(false);
                }
                for (int w = 0; w < n; w++)
                {
                    var p = scores.AsSpan(w * width, classes);
                    p.CopyTo(probabilities.AsSpan((first + w) * classes));
                    recognition[first + w] = _model.HasFamiliarity ? scores[w * width + classes] : System.Numerics.Tensors.TensorPrimitives.Max(p);
                }
            }
            return new WindowScores(probabilities, recognition, recognition.Select(s => Recognises(s)).ToArray());
        }
        finally
        {
            RequestBuffers.Return(inputs);
        }
    }

    /// <summary>The largest log-mel magnitude a caller may send, in dB. The front end's values lie within about
    /// ±200 dB (a 10²⁰ power ratio); finite values near float's limit (3 × 10³⁸) overflow inside the network and came
    /// out as NaN, so the bound is what keeps a caller's features from producing anything but an answer.</summary>
    public const float MaxFeatureMagnitude = 1000;

    private static int IndexOfNonFeature(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]) || Math.Abs(values[i]) > MaxFeatureMagnitude)
                return i;
        }
        return -1;
    }

    /// <summary>Classifies several clips with all their windows in shared runs (the batched path).</summary>
    public async Task<IReadOnlyList<ClassificationResult>> ClassifyBatchAsync(IReadOnlyList<AudioClip> clips, int? topK = null, CancellationToken cancellationToken = default)
    {
        // Window counts come from the model-rate lengths, so every clip's features go straight into one pooled block,
        // resampling one clip at a time (one resampled buffer held at once).
        var windows = clips.Select(c => ClipWindows.For(ModelRateLength(c), Contract.Features)).ToArray();
        var lengths = clips.Select(ModelRateLength).ToArray();
        int size = _model.InputSize, width = _model.RowWidth, total = windows.Sum(w => w.Count);
        var inputs = RequestBuffers.Rent<float>(Math.Max(total * size, 1));
        try
        {
            int at = 0;
            var silences = new List<bool[]>(clips.Count);
            foreach (var clip in clips)
            {
                var audio = Prepare(clip);
                try
                {
                    silences.Add(SilentWindows(audio));
                    WriteFeatures(audio, inputs.AsSpan(at * size, audio.Windows.Count * size), cancellationToken);
                    at += audio.Windows.Count;
                }
                finally
                {
                    audio.Release();
                }
            }
            var rows = await ScoreAsync(inputs, total, cancellationToken).ConfigureAwait(false);
            var results = new List<ClassificationResult>();
            int offset = 0;
            for (int i = 0; i < clips.Count; i++)
            {
                results.Add(Summarise(rows.AsSpan(offset * width, windows[i].Count * width).ToArray(), windows[i], silences[i], lengths[i], topK ?? Options.DefaultTopK, clips[i].Duration.TotalSeconds));
                offset += windows[i].Count;
            }
            return results;
        }
        finally
        {
            RequestBuffers.Return(inputs);
        }
    }

    /// <summary>The model input of the first window of a clip (what the model "sees"), for display. Only the input
    /// that window depends on is resampled, so the cost is one window's whatever the clip's length.</summary>
    public LogMel Features(AudioClip clip)
    {
        var w = ClipWindows.For(ModelRateLength(clip), Contract.Features)[0];
        var samples = clip.Samples;
        if (clip.SampleRate != Contract.Features.SampleRate)
        {
            var resampler = Resampler.For(clip.SampleRate, Contract.Features.SampleRate);
            samples = resampler.Process(clip.Samples.AsSpan(0, (int)Math.Min(clip.Samples.Length, resampler.InputLengthFor(w.Start + w.Length))));
        }
        return _extractor.Compute(samples.AsSpan(w.Start, w.Length));
    }

    /// <summary>The model input of every window of a clip that holds sound (silent windows are left out): what the
    /// model sees, e.g. to compute embeddings of reference clips.</summary>
    public IReadOnlyList<LogMel> SoundingWindowFeatures(AudioClip clip)
    {
        var audio = Prepare(clip);
        try
        {
            var silent = SilentWindows(audio);
            return audio.Windows.Where((_, w) => !silent[w]).Select(w => _extractor.Compute(audio.Samples.AsSpan(w.Start, w.Length))).ToList();
        }
        finally
        {
            audio.Release();
        }
    }

    /// <summary>Decodes a stream with this engine's limits, stopping between decoded chunks once the token is cancelled.</summary>
    public AudioClip Decode(Stream audio, CancellationToken cancellationToken = default) => _frontEnd.Decode(audio, cancellationToken);

    /// <summary>Decodes a stream with this engine's limits, accepting at most <paramref name="maxSeconds"/> of audio
    /// (what is left of a request's total; not below the shortest accepted clip): a longer clip fails with
    /// <see cref="AudioTooLongException"/> as soon as the decoder sees it (give or take the decoders' padding slack,
    /// under a second), not after all of it was decoded.</summary>
    public AudioClip Decode(Stream audio, double maxSeconds, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSeconds);
        var limits = _frontEnd.DecodeOptions;
        var cap = TimeSpan.FromSeconds(Math.Clamp(maxSeconds, limits.MinDuration.TotalSeconds, limits.MaxDuration.TotalSeconds));
        return AudioDecoder.Decode(audio, limits with { MaxDuration = cap }, cancellationToken);
    }

    // Resampled to the model's rate into a pooled buffer (for a 5 s clip 431 KB, otherwise a large-object allocation
    // per request that only a full collection reclaims) and cut into windows. Release() returns the buffer.
    private ModelRateAudio Prepare(AudioClip clip)
    {
        int rate = Contract.Features.SampleRate;
        if (clip.SampleRate == rate)
            return new ModelRateAudio(clip.Samples, clip.Samples.Length, Pooled: false, ClipWindows.For(clip.Samples.Length, Contract.Features));
        var resampler = Resampler.For(clip.SampleRate, rate);
        int length = ModelRateLength(clip);
        var buffer = RequestBuffers.Rent<float>(Math.Max(length, 1));
        try
        {
            resampler.Process(clip.Samples, buffer.AsSpan(0, length));
        }
        catch
        {
            RequestBuffers.Return(buffer);
            throw;
        }
        return new ModelRateAudio(buffer, length, Pooled: true, ClipWindows.For(length, Contract.Features));
    }

    // Samples the clip has at the model's rate (torchaudio's resampled length), without resampling it.
    private int ModelRateLength(AudioClip clip) =>
        clip.SampleRate == Contract.Features.SampleRate ? clip.Samples.Length
        : checked((int)Resampler.For(clip.SampleRate, Contract.Features.SampleRate).OutputLength(clip.Samples.Length));

    private void WriteFeatures(ModelRateAudio audio, Span<float> destination, CancellationToken cancellationToken) =>
        WriteFeatures(audio, 0, audio.Windows.Count, destination, cancellationToken);

    // Windows [first, first + count), stopping between windows once cancelled.
    private void WriteFeatures(ModelRateAudio audio, int first, int count, Span<float> destination, CancellationToken cancellationToken)
    {
        int size = _model.InputSize;
        var windows = audio.Windows;
        for (int i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var w = windows[first + i];
            _extractor.Compute(audio.Samples.AsSpan(w.Start, w.Length), destination.Slice(i * size, size));
        }
    }

    /// <summary>A clip's samples at the model rate ([0, Length) of Samples) and its windows.</summary>
    private sealed record ModelRateAudio(float[] Samples, int Length, bool Pooled, IReadOnlyList<ClipWindow> Windows)
    {
        private int _released;

        /// <summary>Returns a pooled buffer (once, however often it is called).</summary>
        public void Release()
        {
            if (Pooled && Interlocked.Exchange(ref _released, 1) == 0)
                RequestBuffers.Return(Samples);
        }
    }

    // Without the batcher, runs of at most the largest shape, so a long clip cannot grow ONNX Runtime's memory to the
    // size of all its windows at once.
    // Returns count rows of RowWidth (probabilities, then the familiarity when the model has one); probabilities come
    // back calibrated when the contract carries a temperature.
    private async Task<float[]> ScoreAsync(float[] inputs, int count, CancellationToken cancellationToken)
    {
        var scores = count == 0 ? []
            : _batcher is null ? _runner.RunAll(inputs, count, BatchRun, cancellationToken)
            : await _batcher.RunAsync(inputs, count, cancellationToken).ConfigureAwait(false);
        if (Contract.OpenSet is { Temperature: var t } && t != 1)
        {
            for (int w = 0; w < count; w++)
                Calibrate(scores.AsSpan(w * _model.RowWidth, _model.Classes), _model.Classes, t);
        }
        return scores;
    }

    /// <summary>Temperature scaling on probabilities: softmax(logits / T) is p^(1/T) renormalised, since the logits'
    /// log-sum-exp cancels.</summary>
    public static void Calibrate(Span<float> probabilities, int classes, double temperature)
    {
        Span<double> scaled = stackalloc double[classes <= 256 ? classes : 0];
        if (scaled.IsEmpty)
            scaled = new double[classes];
        for (int row = 0; row < probabilities.Length / classes; row++)
        {
            var p = probabilities.Slice(row * classes, classes);
            double max = double.NegativeInfinity, sum = 0;
            for (int c = 0; c < classes; c++)
                max = Math.Max(max, scaled[c] = Math.Log(Math.Max(p[c], 1e-30f)) / temperature);
            for (int c = 0; c < classes; c++)
                sum += scaled[c] = Math.Exp(scaled[c] - max);
            for (int c = 0; c < classes; c++)
                p[c] = (float)(scaled[c] / sum);
        }
    }

    /// <summary>The score a clip or event needs to count as recognised: Classifier:MinScore, else the model's
    /// calibrated threshold; null when neither exists (every sound counts as recognised).</summary>
    public double? RecognitionThreshold => Options.MinScore ?? Contract.OpenSet?.Threshold;

    // Windows, events and clips are recognised by one rule: the score reaches the threshold, or there is none.
    private bool Recognises(double score) => RecognitionThreshold is not { } t || score >= t;

    /// <summary>What <see cref="RecognitionThreshold"/> applies to: the contract's open-set score (the best
    /// probability unless the model is calibrated on its training clips' similarity).</summary>
    public string RecognitionScoreName => Contract.OpenSet?.Score ?? OpenSetCalibration.Scores.MaxProbability;

    private ClassificationResult Summarise(float[] rows, IReadOnlyList<ClipWindow> windows, bool[] silent, int samples, int topK, double duration)
    {
        int classes = _model.Classes, width = _model.RowWidth;
        // Rows are the probabilities themselves unless each ends with the window's familiarity.
        var probabilities = rows;
        float[]? familiarity = null;
        if (_model.HasFamiliarity)
        {
            probabilities = new float[windows.Count * classes];
            familiarity = new float[windows.Count];
            for (int w = 0; w < windows.Count; w++)
            {
                rows.AsSpan(w * width, classes).CopyTo(probabilities.AsSpan(w * classes));
                familiarity[w] = rows[w * width + classes];
            }
        }
        double rate = Contract.Features.SampleRate;
        var mean = new float[classes];
        var timeline = new List<WindowResult>(windows.Count);
        var spans = new List<(double, double)>(windows.Count);
        int heard = silent.Count(s => !s);
        for (int w = 0; w < windows.Count; w++)
        {
            var p = probabilities.AsSpan(w * classes, classes);
            // The clip's mean is over the windows that hold sound (all of them if none does).
            if (!silent[w] || heard == 0)
            {
                for (int c = 0; c < classes; c++)
                    mean[c] += p[c] / (heard == 0 ? windows.Count : heard);
            }
            double start = windows[w].Start / rate, end = Math.Min(windows[w].Start + windows[w].Length, samples) / rate;
            spans.Add((start, end));
            timeline.Add(new WindowResult(start, end, silent[w] ? [] : ClassificationResult.Rank(Contract.Labels, p, topK)) { Silent = silent[w] });
        }
        var (found, summary) = SoundEvents.Find(probabilities, spans, silent, Contract.Labels, duration, familiarity);
        var threshold = RecognitionThreshold;
        var events = found.Select(e => e with { Recognised = Recognises(e.RecognitionScore) }).ToList();
        bool allSilent = heard == 0;
        // The clip's score: over the windows that hold sound, the mean of each window's own score — its familiarity
        // (SoundEvents.MeanFamiliarity) or its best probability — so that a mixture of sounds the model knows is
        // recognised however its mean probabilities spread over their labels (one window: the clip's best probability).
        var heardWindows = Enumerable.Range(0, windows.Count).Where(w => !silent[w]);
        double clipScore = allSilent ? 0
            : familiarity is null ? heardWindows.Average(w => (double)System.Numerics.Tensors.TensorPrimitives.Max(probabilities.AsSpan(w * classes, classes)))
            : SoundEvents.MeanFamiliarity(heardWindows.Select(w => familiarity[w]));
        return new ClassificationResult(allSilent ? [] : ClassificationResult.Rank(Contract.Labels, mean, topK), duration, timeline, Contract.ModelName, Contract.ModelVersion, ExecutionProvider)
        {
            Probabilities = allSilent ? new float[classes] : mean,
            Silent = allSilent,
            Recognised = !allSilent && Recognises(clipScore),
            RecognitionScore = Math.Round(clipScore, 6),
            RecognitionScoreName = RecognitionScoreName,
            Threshold = threshold,
            Events = events,
            Summary = allSilent ? [] : summary,
        };
    }

    // Windows whose peak is below Classifier:SilenceThresholdDb (dBFS): digital silence or near-silence, nothing the
    // model can name.
    private bool[] SilentWindows(ModelRateAudio audio) =>
        WindowSilence.PeakDb(audio.Samples.AsSpan(0, audio.Length), audio.Windows).Select(peak => WindowSilence.IsSilent(peak, Options.SilenceThresholdDb)).ToArray();

    public void Dispose()
    {
        _batcher?.Dispose();
        _model.Dispose();
    }
}
