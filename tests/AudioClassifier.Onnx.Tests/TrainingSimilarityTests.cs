using AudioClassifier.Audio.Decoding;
using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Export;
using AudioClassifier.Onnx.Inference;
using Microsoft.ML.OnnxRuntime;

namespace AudioClassifier.Onnx.Tests;

/// <summary>
/// The training-similarity open-set score: a model with a bank of training embeddings built into its graph answers,
/// per window and per clip, the cosine similarity to the nearest bank entry; the engine decides "recognised" on it,
/// leaves the probabilities untouched, and refuses a contract that asks for the score without the graph output.
/// </summary>
public sealed class TrainingSimilarityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-similarity-").FullName;

    private static AudioClip Tone(double hz, double seconds = 1.5) =>
        new(Enumerable.Range(0, (int)(seconds * 22050)).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * hz * i / 22050))).ToArray(), 22050, 1, AudioFormat.Wav);

    private static AudioClip Noise(int seed, double seconds = 1.5)
    {
        var rng = new Random(seed);
        return new(Enumerable.Range(0, (int)(seconds * 22050)).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray(), 22050, 1, AudioFormat.Wav);
    }

    private static AudioClassifierEngine Engine(string model) =>
        new(new AudioClassifierOptions { ModelPath = model, ExecutionProvider = ExecutionProviderPreference.Cpu, DynamicBatching = false, IntraOpThreads = 1 });

    // The model's own embedding of a clip's first window, straight from ONNX Runtime.
    private static float[] Embedding(string model, AudioClassifierEngine engine, AudioClip clip)
    {
        var features = engine.SoundingWindowFeatures(clip)[0];
        using var session = new InferenceSession(model);
        using var runOptions = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(features.Data, [1, 1, features.NMels, features.Frames]);
        using var outputs = session.Run(runOptions, [ModelContract.InputName], [input], [ModelContract.EmbeddingOutput]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static double Cosine(float[] a, float[] b) =>
        a.Zip(b).Sum(p => (double)p.First * p.Second) / Math.Sqrt(a.Sum(v => (double)v * v) * b.Sum(v => (double)v * v));

    [Fact]
    public async Task TheScoreIsTheSimilarityToTheNearestTrainingClipAndDecidesRecognition()
    {
        var plain = TestModels.Write(_dir);
        float[] low, high, noise;
        ClassificationResult before;
        using (var engine = Engine(plain))
        {
            low = Embedding(plain, engine, Tone(220));
            high = Embedding(plain, engine, Tone(3000));
            noise = Embedding(plain, engine, Noise(7));
            before = await engine.ClassifyAsync(Noise(7));
        }
        // The noise is less like either tone than each tone is like itself: a threshold between recognises the tones only.
        double expected = Math.Max(Cosine(noise, low), Cosine(noise, high));
        Assert.True(expected < 0.999, $"the test needs noise unlike the tones (similarity {expected})");
        double threshold = (1 + expected) / 2;
        var calibrated = Path.Combine(_dir, "with-bank.onnx");
        var contract = TrainingSimilarityGraph.Add(plain, [low, high],
            c => c with { OpenSet = new OpenSetCalibration { Temperature = 1, Threshold = threshold, Score = OpenSetCalibration.Scores.TrainingSimilarity } }, calibrated);
        Assert.Equal(OpenSetCalibration.Scores.TrainingSimilarity, contract.OpenSet!.Score);

        using var withBank = Engine(calibrated);
        var tone = await withBank.ClassifyAsync(Tone(3000));
        Assert.Equal(1, tone.RecognitionScore, 4);
        Assert.True(tone.Recognised);
        Assert.Equal(OpenSetCalibration.Scores.TrainingSimilarity, tone.RecognitionScoreName);
        Assert.All(tone.Events, e => Assert.Equal(1, e.RecognitionScore, 4));

        var unknown = await withBank.ClassifyAsync(Noise(7));
        Assert.Equal(expected, unknown.RecognitionScore, 4);
        Assert.False(unknown.Recognised);
        Assert.All(unknown.Events, e => Assert.False(e.Recognised));
        // The bank adds a score; the probabilities are the model's own.
        Assert.Equal(before.Probabilities, unknown.Probabilities);
        Assert.Equal(threshold, unknown.Threshold);

        // The same through the batched path (several clips in one run).
        var both = await withBank.ClassifyBatchAsync([Tone(220), Noise(7)]);
        Assert.Equal([true, false], both.Select(r => r.Recognised));
        // Features scored directly (the Open Inference Protocol's path): the probabilities without the familiarity
        // column, and beside them each window's familiarity and decision.
        var window = withBank.SoundingWindowFeatures(Noise(7)).Single();
        var scored = await withBank.ScoreFeaturesAsync(window.Data, 1);
        Assert.Equal(TestModels.Labels.Length, scored.Length);
        Assert.Equal(unknown.Probabilities.ToArray(), scored, (x, y) => Math.Abs(x - y) < 1e-6);
        var windows = await withBank.ScoreWindowsAsync(window.Data, 1);
        Assert.Equal(scored, windows.Probabilities);
        Assert.Equal(expected, windows.RecognitionScores.Single(), 4);
        Assert.False(windows.Recognised.Single());
        var known = await withBank.ScoreWindowsAsync(withBank.SoundingWindowFeatures(Tone(3000)).Single().Data, 1);
        Assert.Equal(1, known.RecognitionScores.Single(), 4);
        Assert.True(known.Recognised.Single());
    }

    [Fact]
    public async Task ASoundMuchNearerToAKnownOutlierThanToAnyTrainingClipScoresMinusOne()
    {
        var plain = TestModels.Write(_dir);
        float[] tone, noise, otherNoise;
        using (var engine = Engine(plain))
        {
            tone = Embedding(plain, engine, Tone(440));
            noise = Embedding(plain, engine, Noise(1));
            otherNoise = Embedding(plain, engine, Noise(2));
        }
        var calibrated = Path.Combine(_dir, "with-outliers.onnx");
        TrainingSimilarityGraph.Add(plain, [tone], [noise], 0.5,
            c => c with { OpenSet = new OpenSetCalibration { Temperature = 1, Threshold = -0.5, Score = OpenSetCalibration.Scores.TrainingSimilarity, OutlierRatio = 0.5 } }, calibrated);
        using var withBanks = Engine(calibrated);
        // Another noise is at less than half the distance from the known noise than from the tone: -1, below any threshold.
        Assert.True(1 - Cosine(otherNoise, noise) < 0.5 * (1 - Cosine(otherNoise, tone)), "the test needs noises alike");
        var unknown = await withBanks.ClassifyAsync(Noise(2));
        Assert.Equal(-1, unknown.RecognitionScore, 6);
        Assert.False(unknown.Recognised);
        // The training sound itself keeps its similarity.
        var known = await withBanks.ClassifyAsync(Tone(440));
        Assert.Equal(1, known.RecognitionScore, 4);
        Assert.True(known.Recognised);
        Assert.Equal(0.5, withBanks.Contract.OpenSet!.OutlierRatio);
    }

    [Fact]
    public async Task ALongClipAtATemperatureKeepsItsFamiliarityAndCalibratedProbabilities()
    {
        var plain = TestModels.Write(_dir);
        float[] tone;
        using (var engine = Engine(plain))
            tone = Embedding(plain, engine, Tone(660));
        var calibrated = Path.Combine(_dir, "hot.onnx");
        TrainingSimilarityGraph.Add(plain, [tone],
            c => c with { OpenSet = new OpenSetCalibration { Temperature = 3, Threshold = 0.9, Score = OpenSetCalibration.Scores.TrainingSimilarity } }, calibrated);
        using var withBank = Engine(calibrated);
        // 12 s: 11 windows of 2 s, more than one run of the largest batch shape (8).
        var result = await withBank.ClassifyAsync(Tone(660, 12));
        Assert.True(result.Timeline.Count > withBank.BatchShapes.Max, $"{result.Timeline.Count} windows");
        // The same tone (its windows start at other phases, and the bank's clip was shorter than a window): near 1.
        Assert.InRange(result.RecognitionScore, 0.95, 1.0001);
        Assert.True(result.Recognised);
        Assert.All(result.Events, e => Assert.InRange(e.RecognitionScore, 0.95, 1.0001));
        // The temperature applies to the probabilities only: each window's still sum to 1.
        Assert.All(result.Timeline, w => Assert.Equal(1, w.TopK.Sum(s => s.Score), 4));
        Assert.Equal(1, result.Probabilities.Sum(), 4);
    }

    [Fact]
    public void OutlierWindowsAreAFlagNotAValueToAverage()
    {
        Assert.Equal(0.9, SoundEvents.MeanFamiliarity([0.9f, 0.9f, -1f, 0.9f]), 5);   // one noisy window among familiar ones
        Assert.Equal(-1, SoundEvents.MeanFamiliarity([0.9f, -1f, -1f]));               // mostly known outliers
        Assert.Equal(-1, SoundEvents.MeanFamiliarity([0.9f, -1f]));                    // half
        Assert.Equal(-1, SoundEvents.MeanFamiliarity([]));
        Assert.Equal(0.5, SoundEvents.MeanFamiliarity([0.4f, 0.6f]), 5);
    }

    [Fact]
    public void AContractAskingForTheScoreNeedsTheGraphOutput()
    {
        var model = TestModels.Write(_dir, TestModels.Contract() with
        {
            OpenSet = new OpenSetCalibration { Temperature = 1, Threshold = 0.5, Score = OpenSetCalibration.Scores.TrainingSimilarity },
        });
        var e = Assert.Throws<ModelContractException>(() => Engine(model));
        Assert.Contains("'familiarity'", e.Message);
    }

    [Fact]
    public void ThresholdsAreCheckedAgainstTheirScore()
    {
        Assert.Equal(-0.5, OpenSetCalibration.Parse("""{"temperature":1,"threshold":-0.5,"score":"training_similarity"}""").Threshold);
        Assert.Throws<ModelContractException>(() => OpenSetCalibration.Parse("""{"temperature":1,"threshold":-0.5,"score":"max_probability"}"""));
        Assert.Throws<ModelContractException>(() => OpenSetCalibration.Parse("""{"temperature":1,"threshold":0.5,"score":"energy"}"""));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
