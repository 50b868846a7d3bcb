using AudioClassifier.Audio.Decoding;
using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Export;
using AudioClassifier.Onnx.Inference;
using Microsoft.ML.OnnxRuntime;

namespace AudioClassifier.Onnx.Tests;

/// <summary>
/// Several models of one contract joined into one graph: ONNX Runtime serves it like a single model, its
/// probabilities are the mean of the members', its embedding's cosines the mean of theirs (so the open-set bank works
/// on it), and models that do not belong together are refused with the reason.
/// </summary>
public sealed class EnsembleGraphTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-ensemble-").FullName;

    private static AudioClip Tone(double hz) =>
        new(Enumerable.Range(0, 33075).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * hz * i / 22050))).ToArray(), 22050, 1, AudioFormat.Wav);

    private static AudioClassifierEngine Engine(string model) =>
        new(new AudioClassifierOptions { ModelPath = model, ExecutionProvider = ExecutionProviderPreference.Cpu, DynamicBatching = false, IntraOpThreads = 1 });

    private static float[] Run(string model, float[] features, int nMels, int frames, string output)
    {
        using var session = new InferenceSession(model);
        using var runOptions = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(features, [1, 1, nMels, frames]);
        using var outputs = session.Run(runOptions, [ModelContract.InputName], [input], [output]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static double Cosine(float[] a, float[] b) =>
        a.Zip(b).Sum(p => (double)p.First * p.Second) / Math.Sqrt(a.Sum(v => (double)v * v) * b.Sum(v => (double)v * v));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheJoinedGraphAveragesItsMembersAndServesLikeOneModel(bool float16)
    {
        var members = new[] { TestModels.Write(_dir, float16: float16, seed: 1), TestModels.Write(_dir, float16: float16, seed: 2), TestModels.Write(_dir, float16: float16, seed: 3) };
        var joined = Path.Combine(_dir, "ensemble.onnx");
        var contract = EnsembleGraph.Join(members, c => c with { ModelName = "test-ensemble" }, joined);
        Assert.Equal("test-ensemble", contract.ModelName);

        using var engine = Engine(joined);
        Assert.Equal("test-ensemble", engine.Contract.ModelName);
        var low = engine.SoundingWindowFeatures(Tone(220))[0];
        var high = engine.SoundingWindowFeatures(Tone(3000))[0];
        var result = await engine.ClassifyAsync(Tone(220));
        var mean = new double[TestModels.Labels.Length];
        foreach (var member in members)
        {
            var p = Run(member, low.Data, low.NMels, low.Frames, ModelContract.ProbabilitiesOutput);
            for (int c = 0; c < mean.Length; c++)
                mean[c] += p[c] / members.Length;
        }
        // The engine's answer is the mean of the members' probabilities (no calibration: temperature 1).
        for (int c = 0; c < mean.Length; c++)
            Assert.Equal(mean[c], result.Probabilities[c], 5);
        Assert.NotEqual(Run(members[0], low.Data, low.NMels, low.Frames, ModelContract.ProbabilitiesOutput)[0], result.Probabilities[0], 3);

        // Cosine of two ensemble embeddings = the mean of the members' cosines.
        double expected = members.Average(m => Cosine(Run(m, low.Data, low.NMels, low.Frames, ModelContract.EmbeddingOutput), Run(m, high.Data, high.NMels, high.Frames, ModelContract.EmbeddingOutput)));
        var a = Run(joined, low.Data, low.NMels, low.Frames, ModelContract.EmbeddingOutput);
        var b = Run(joined, high.Data, high.NMels, high.Frames, ModelContract.EmbeddingOutput);
        Assert.Equal(expected, Cosine(a, b), 5);
        Assert.Equal(1, a.Sum(v => (double)v * v), 4); // unit length already

        // The open-set bank goes on the joined graph as on any model.
        var calibrated = Path.Combine(_dir, "ensemble-calibrated.onnx");
        TrainingSimilarityGraph.Add(joined, [a], c => c with { OpenSet = new OpenSetCalibration { Temperature = 1, Threshold = 0.999, Score = OpenSetCalibration.Scores.TrainingSimilarity } }, calibrated);
        using var withBank = Engine(calibrated);
        var known = await withBank.ClassifyAsync(Tone(220));
        Assert.Equal(1, known.RecognitionScore, 4);
        Assert.True(known.Recognised);
    }

    [Fact]
    public void ModelsThatDoNotBelongTogetherAreRefusedWithTheReason()
    {
        var one = TestModels.Write(_dir);
        var otherLabels = TestModels.Write(_dir, TestModels.Contract() with { Labels = ["cat", "rain", "siren"] });
        var otherFeatures = TestModels.Write(_dir, TestModels.Contract(TestModels.SmallSpec with { NMels = 16 }));
        var half = TestModels.Write(_dir, float16: true);
        var target = Path.Combine(_dir, "never.onnx");
        Assert.Contains("other labels", Assert.Throws<ContractStampException>(() => EnsembleGraph.Join([one, otherLabels], c => c, target)).Message);
        Assert.Contains("other features", Assert.Throws<ContractStampException>(() => EnsembleGraph.Join([one, otherFeatures], c => c, target)).Message);
        Assert.Contains("float16-weights", Assert.Throws<ContractStampException>(() => EnsembleGraph.Join([one, half], c => c, target)).Message);
        Assert.Throws<ArgumentException>(() => EnsembleGraph.Join([one], c => c, target));
        var banked = Path.Combine(_dir, "banked.onnx");
        TrainingSimilarityGraph.Add(one, [new float[512]], c => c with { OpenSet = new OpenSetCalibration { Temperature = 1, Threshold = 0.5, Score = OpenSetCalibration.Scores.TrainingSimilarity } }, banked);
        Assert.Contains("already calibrated", Assert.Throws<ContractStampException>(() => EnsembleGraph.Join([one, banked], c => c, target)).Message);
        // Calibrated on the best probability (no bank): its temperature would be applied to the ensemble's mean.
        var tempered = TestModels.Write(_dir, TestModels.Contract() with { OpenSet = new OpenSetCalibration { Temperature = 2, Threshold = 0.5 } });
        Assert.Contains("already calibrated", Assert.Throws<ContractStampException>(() => EnsembleGraph.Join([one, tempered], c => c, target)).Message);
        Assert.False(File.Exists(target));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
