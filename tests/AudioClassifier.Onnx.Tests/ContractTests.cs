using AudioClassifier.Audio.Features;
using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Inference;
using Google.Protobuf;
using Onnx;

namespace AudioClassifier.Onnx.Tests;

/// <summary>The contract read back from a model equals what was written; a model without a valid one is refused.</summary>
public sealed class ContractTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-onnx-").FullName;

    private static AudioClassifierOptions Cpu(string path) => new() { ModelPath = path, ExecutionProvider = ExecutionProviderPreference.Cpu, DynamicBatching = false };

    [Fact]
    public void ContractRoundTripsThroughTheOnnxFile()
    {
        var written = TestModels.Contract(FeatureSpec.Default);
        var path = TestModels.Write(_dir, written);
        using var model = OnnxModel.Load(Cpu(path));
        Assert.Equal(written, model.Contract);
        Assert.Equal(FeatureSpec.Default, model.Contract.Features);
        Assert.Equal("CPUExecutionProvider", model.ExecutionProvider);
        var card = File.ReadAllText(Onnx.Export.ModelCard.PathFor(path));
        Assert.Contains("siren", card);
        Assert.Contains("\"n_mels\": 128", card);
    }

    public static TheoryData<string, string?, string> Tamperings() => new()
    {
        { ModelContract.Keys.Labels, null, "no 'audioclf.labels' metadata" },
        { ModelContract.Keys.Labels, "[\"dog\",\"rain\"]", "outputs 3 classes but its contract lists 2 labels" },
        { ModelContract.Keys.Labels, "[\"dog\",\"dog\",\"rain\"]", "unique" },
        { ModelContract.Keys.Labels, "not json", "not a JSON array" },
        { ModelContract.Keys.FeatureSpec, null, "no 'audioclf.feature_spec' metadata" },
        { ModelContract.Keys.FeatureSpec, "{\"sample_rate\": 0}", "feature spec is invalid" },
        { ModelContract.Keys.ContractVersion, "99", "Unsupported contract version" },
    };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public void TamperedOrMissingMetadataIsRefused(string key, string? value, string message)
    {
        var path = TestModels.Write(_dir);
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var entry = proto.MetadataProps.Single(p => p.Key == key);
        if (value is null)
            proto.MetadataProps.Remove(entry);
        else
            entry.Value = value;
        File.WriteAllBytes(path, proto.ToByteArray());
        var e = Assert.Throws<ModelContractException>(() => OnnxModel.Load(Cpu(path)));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void SpecThatDisagreesWithTheGraphIsRefused()
    {
        var path = TestModels.Write(_dir);
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        proto.MetadataProps.Single(p => p.Key == ModelContract.Keys.FeatureSpec).Value = FeatureSpecJson.Serialize(TestModels.SmallSpec with { NMels = 40 });
        File.WriteAllBytes(path, proto.ToByteArray());
        Assert.Contains("input is", Assert.Throws<ModelContractException>(() => OnnxModel.Load(Cpu(path))).Message);
    }

    [Fact]
    public void MissingAndCorruptModelFilesAreRefused()
    {
        Assert.Contains("does not exist", Assert.Throws<ModelLoadException>(() => OnnxModel.Load(Cpu(Path.Combine(_dir, "none.onnx")))).Message);
        var junk = Path.Combine(_dir, "junk.onnx");
        File.WriteAllText(junk, "not a model");
        Assert.Contains("not a loadable ONNX model", Assert.Throws<ModelLoadException>(() => OnnxModel.Load(Cpu(junk))).Message);
    }

    [Fact]
    public void Float16ExportHalvesTheFileAndKeepsTheOutputs()
    {
        var full = TestModels.Write(_dir);
        var half = TestModels.Write(_dir, float16: true);
        Assert.InRange((double)new FileInfo(half).Length / new FileInfo(full).Length, 0.45, 0.55);
        using var a = OnnxModel.Load(Cpu(full));
        using var b = OnnxModel.Load(Cpu(half));
        var rng = new Random(5);
        var x = Enumerable.Range(0, a.InputSize * 2).Select(_ => (float)(-40 + 20 * rng.NextDouble())).ToArray();
        var pa = a.Run(x, 2);
        var pb = b.Run(x, 2);
        Assert.All(pa.Zip(pb), p => Assert.InRange(Math.Abs(p.First - p.Second), 0, 2e-2));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
