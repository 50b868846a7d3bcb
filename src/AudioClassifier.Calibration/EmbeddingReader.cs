using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Inference;
using Microsoft.ML.OnnxRuntime;

namespace AudioClassifier.Calibration;

/// <summary>
/// The embeddings (the model's <c>embedding</c> output) of every sounding window of reference clips, through the
/// engine's own front end: the bank of training clips that <c>calibrate --reference</c> builds into a model. Owns its
/// own CPU session of the same file (the engine runs probabilities only).
/// </summary>
public sealed class EmbeddingReader : IDisposable
{
    private readonly AudioClassifierEngine _engine;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();

    public EmbeddingReader(AudioClassifierEngine engine)
    {
        _engine = engine;
        using var options = new SessionOptions { IntraOpNumThreads = engine.Options.IntraOpThreads };
        _session = new InferenceSession(engine.Options.ModelPath, options);
        if (!_session.OutputMetadata.ContainsKey(ModelContract.EmbeddingOutput))
        {
            _session.Dispose();
            _runOptions.Dispose();
            throw new ModelContractException($"The model has no '{ModelContract.EmbeddingOutput}' output; re-export it with this version of audioclf-train (export --run ...).");
        }
    }

    /// <summary>One embedding per window of the clip that holds sound (none for a silent clip).</summary>
    public IReadOnlyList<float[]> Embed(string path)
    {
        using var stream = File.OpenRead(path);
        var spec = _engine.Contract.Features;
        var embeddings = new List<float[]>();
        foreach (var window in _engine.SoundingWindowFeatures(_engine.Decode(stream)))
        {
            using var input = OrtValue.CreateTensorValueFromMemory(window.Data, [1, 1, spec.NMels, spec.Frames]);
            using var outputs = _session.Run(_runOptions, [ModelContract.InputName], [input], [ModelContract.EmbeddingOutput]);
            embeddings.Add(outputs[0].GetTensorDataAsSpan<float>().ToArray());
        }
        return embeddings;
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
