using AudioClassifier.Audio.Features;
using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Inference;
using AudioClassifier.Trainer.Model;
using AudioClassifier.Trainer.Training;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace AudioClassifier.Trainer.Tests;

/// <summary>A model trained for a few steps, exported, gives the same logits in ONNX Runtime as in TorchSharp.</summary>
[Collection(TorchCollection.Name)]
public sealed class ExportParityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-export-").FullName;

    [Theory]
    [InlineData(1, false)]
    [InlineData(8, false)]
    [InlineData(1, true)]
    [InlineData(8, true)]
    public void OnnxLogitsMatchTorchSharp(int batch, bool centredChannel)
    {
        var (run, spec) = TrainBriefly(centredChannel);
        var onnx = Path.Combine(_dir, $"model-{batch}.onnx");
        var contract = RunExporter.Export(run, onnx, new ExportOptions("parity", "0.1"));
        Assert.Equal(spec, contract.Features);

        using var model = new AudioResNet18(contract.Labels.Count, 0, centredChannel);
        model.load(Path.Combine(run, "best.dat"));
        model.eval();
        var rng = new Random(batch);
        var input = Enumerable.Range(0, batch * spec.NMels * spec.Frames).Select(_ => (float)(-60 + 40 * rng.NextDouble())).ToArray();
        float[] expected;
        using (no_grad())
        using (var x = tensor(input, [batch, 1, spec.NMels, spec.Frames]))
        using (var y = model.forward(x))
            expected = y.data<float>().ToArray();

        using var session = new InferenceSession(onnx);
        using var value = OrtValue.CreateTensorValueFromMemory(input, [batch, 1, spec.NMels, spec.Frames]);
        using var outputs = session.Run(new RunOptions(), [ModelContract.InputName], [value], [ModelContract.LogitsOutput]);
        var actual = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        double scale = expected.Max(Math.Abs);
        double worst = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= 1e-4 * scale, $"max |Δlogit| {worst:E2} vs max |logit| {scale:E2}");
    }

    [Fact]
    public void ExportedRunLoadsInTheEngineWithItsContract()
    {
        var (run, spec) = TrainBriefly();
        var onnx = Path.Combine(_dir, "engine.onnx");
        RunExporter.Export(run, onnx, new ExportOptions("esc-test", "2.0", License: "CC BY 3.0 test", AttributionFile: SharedData.Path("datasets", "esc10", "README.md")));
        using var model = OnnxModel.Load(new AudioClassifierOptions { ModelPath = onnx, ExecutionProvider = ExecutionProviderPreference.Cpu });
        Assert.Equal(["Dog bark", "Rain"], model.Contract.Labels);
        Assert.Equal(spec, model.Contract.Features);
        Assert.Equal("CC BY 3.0 test", model.Contract.DatasetLicense);
        Assert.Contains("accuracy", model.Contract.MetricsJson);
        Assert.True(File.Exists(Path.Combine(_dir, "engine.model-card.md")));
        Assert.True(File.Exists(Path.Combine(_dir, "ATTRIBUTION.md")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Int8ExportRunsOnIntegerKernelsAndAnswersLikeFloat(bool centredChannel)
    {
        var (run, _) = TrainBriefly(centredChannel);
        string fp32 = Path.Combine(_dir, "q", "m.onnx"), int8 = Path.Combine(_dir, "q", "m-int8.onnx");
        RunExporter.Export(run, fp32, new ExportOptions("q", "1"));
        var contract = RunExporter.Export(run, int8, new ExportOptions("q", "1", Int8: true));
        Assert.Equal(ModelContract.Precisions.Int8, contract.Precision);
        // Both in one folder, each with its own card.
        Assert.Contains("m-int8.onnx` (ONNX opset 17, int8", File.ReadAllText(Path.Combine(_dir, "q", "m-int8.model-card.md")));
        Assert.Contains("m.onnx` (ONNX opset 17, float32", File.ReadAllText(Path.Combine(_dir, "q", "m.model-card.md")));
        Assert.True(new FileInfo(int8).Length < new FileInfo(fp32).Length / 3, "int8 weights take a quarter of the float file");

        // ONNX Runtime's CPU provider turns every convolution into QLinearConv and every residual Add into QLinearAdd.
        var optimized = Path.Combine(_dir, "q", "optimized.onnx");
        using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = optimized })
        using (new InferenceSession(int8, options)) { }
        var ops = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph.Node.Select(n => n.OpType).ToList();
        Assert.Equal(20, ops.Count(o => o == "QLinearConv"));
        Assert.Equal(8, ops.Count(o => o == "QLinearAdd"));
        Assert.DoesNotContain("Conv", ops);

        // On real clips it answers as the float model does.
        using var floatEngine = new AudioClassifierEngine(new AudioClassifierOptions { ModelPath = fp32, ExecutionProvider = ExecutionProviderPreference.Cpu, DynamicBatching = false });
        using var int8Engine = new AudioClassifierEngine(new AudioClassifierOptions { ModelPath = int8, ExecutionProvider = ExecutionProviderPreference.Cpu, DynamicBatching = false });
        Assert.Equal(ModelContract.Precisions.Int8, int8Engine.Contract.Precision);
        foreach (var clip in Directory.GetFiles(TinyDatasets.Esc10, "1-*.ogg", SearchOption.AllDirectories).Order().Take(6))
        {
            var a = await floatEngine.ClassifyAsync(File.OpenRead(clip), 2);
            var b = await int8Engine.ClassifyAsync(File.OpenRead(clip), 2);
            double worst = a.Probabilities.Zip(b.Probabilities).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(worst < 0.05, $"{Path.GetFileName(clip)}: int8 probabilities differ from float by {worst:0.000}");
        }
    }

    private (string Run, FeatureSpec Spec) TrainBriefly(bool centredChannel = false)
    {
        var data = TinyDatasets.Folders(Path.Combine(_dir, "data-" + Guid.NewGuid().ToString("N")), 2, 2, 1, 2);
        var spec = FeatureSpec.Default with { NMels = 64, Frames = 108, WindowSeconds = 2.5, WindowHopSeconds = 1.25 };
        var config = TrainingConfig.DefaultRecipe with
        {
            Dataset = data, ValFolds = [2], CentredChannel = centredChannel, Epochs = 1, BatchSize = 2, Threads = 2, Features = spec, TensorBoardSamples = 0,
            RunsDir = Path.Combine(_dir, "runs"), RunName = Guid.NewGuid().ToString("N"), CacheDir = Path.Combine(_dir, "cache"),
        };
        return (new ModelTrainer(config, TextWriter.Null).Run().RunDirectory, spec);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
