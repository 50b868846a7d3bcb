using AudioClassifier.Trainer.Model;
using AudioClassifier.Trainer.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace AudioClassifier.Trainer.Tests;

/// <summary>The ResNet18 is torchvision-compatible, and ImageNet and state-dict initialisation load real weights.</summary>
[Collection(TorchCollection.Name)]
public sealed class ModelInitializationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-model-").FullName;

    public ModelInitializationTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void RandomInitialisationIsTorchvisions()
    {
        torch.manual_seed(7);
        using var model = new AudioResNet18(10, 0);
        var report = InitializationReport.RandomInit(model);
        Assert.StartsWith("random (torchvision", report.Source);
        var sd = model.state_dict();
        // Kaiming-normal, fan-out, ReLU gain: std = sqrt(2 / (out_channels · kh · kw)), mean 0.
        foreach (var (name, fanOut) in new[] { ("conv1.weight", 64 * 49), ("layer1.0.conv1.weight", 64 * 9), ("layer4.1.conv2.weight", 512 * 9), ("layer2.0.downsample.0.weight", 128) })
        {
            double expected = Math.Sqrt(2.0 / fanOut), std = sd[name].std().item<float>(), mean = sd[name].mean().item<float>();
            Assert.InRange(std / expected, 0.95, 1.05);
            Assert.InRange(Math.Abs(mean), 0, 0.1 * expected);
        }
        Assert.True(sd["layer3.1.bn2.weight"].eq(1).all().item<bool>() && sd["layer3.1.bn2.bias"].eq(0).all().item<bool>());
        Assert.True(sd["layer3.1.bn2.running_var"].eq(1).all().item<bool>());
        Assert.Equal(0, sd["layer3.1.bn2.num_batches_tracked"].item<long>());
        // The head keeps PyTorch's default Linear: U(-1/sqrt(512), 1/sqrt(512)).
        Assert.InRange(sd["fc.weight"].abs().max().item<float>(), 0.8 / Math.Sqrt(512), 1 / Math.Sqrt(512));
    }

    [Fact]
    public void StateDictUsesTorchvisionNamesAndOneInputChannel()
    {
        using var model = new AudioResNet18(10, 0.2);
        var sd = model.state_dict();
        Assert.Equal([64, 1, 7, 7], sd["conv1.weight"].shape);
        Assert.Equal([10, 512], sd["fc.weight"].shape);
        Assert.Contains("layer1.0.bn2.running_var", sd.Keys);
        Assert.Contains("layer2.0.downsample.0.weight", sd.Keys);
        Assert.Contains("layer4.1.conv2.weight", sd.Keys);
        Assert.DoesNotContain("layer1.0.downsample.0.weight", sd.Keys);
        using var x = randn(2, 1, 128, 216);
        model.eval();
        using var y = model.forward(x);
        Assert.Equal([2, 10], y.shape);
    }

    [Fact]
    public void ImageNetInitialisationMapsEveryConvAndBatchNorm()
    {
        using var model = new AudioResNet18(10, 0.2);
        var report = ImageNetInitializer.Apply(model);
        // 20 convolutions + 20 batch norms × (weight, bias) from ImageNet, 40 running statistics started fresh.
        Assert.Equal(20, ImageNetInitializer.ConvolutionOrder.Count);
        Assert.Equal(20, report.Initialized.Count(p => p.Key.EndsWith("conv1.weight") || p.Key.EndsWith("conv2.weight") || p.Key.EndsWith("downsample.0.weight") || p.Key == "conv1.weight"));
        Assert.Equal(100, report.Initialized.Count);
        Assert.Contains("RGB filters summed", report.Initialized["conv1.weight"]);
        Assert.Equal(["fc.bias", "fc.weight", "input_mean", "input_std"], report.Random.Order().ToArray());
        Assert.DoesNotContain(report.Random, k => k.Contains("conv") && k.EndsWith(".weight"));
    }

    [Fact]
    public void TheCentredChannelStartsAsHalfTheGreyFilterInEachChannel()
    {
        using var grey = new AudioResNet18(10, 0);
        ImageNetInitializer.Apply(grey);
        using var centred = new AudioResNet18(10, 0, centredChannel: true);
        var report = ImageNetInitializer.Apply(centred);
        AssertHalvesOf(grey, centred);
        Assert.Contains("two channels", report.Initialized["conv1.weight"]);
    }

    [Fact]
    public void TheCentredChannelDoesNotSeeASteadySpectralColour()
    {
        // With the plain channel's filters zeroed, the network sees only the centred channel: a recording's steady
        // colour (a constant added to each mel band over the whole window) must not change its answer.
        using var model = new AudioResNet18(10, 0, centredChannel: true);
        using (no_grad())
            model.state_dict()["conv1.weight"].narrow(1, 0, 1).zero_();
        model.eval();
        using var x = randn(2, 1, 64, 108);
        using var colour = linspace(-15, 15, 64).reshape(1, 1, 64, 1);
        using var coloured = x.add(colour);
        using var plain = model.forward(x);
        using var shifted = model.forward(coloured);
        Assert.True(plain.allclose(shifted, rtol: 1e-4, atol: 1e-4));
        using var unzeroed = new AudioResNet18(10, 0, centredChannel: true);
        unzeroed.eval();
        using var a = unzeroed.forward(x);
        using var b = unzeroed.forward(coloured);
        Assert.False(a.allclose(b, rtol: 1e-4, atol: 1e-4));   // the plain channel does see it
    }

    [Fact]
    public void ImageNetInitialisedLayer1DiffersFromRandom()
    {
        torch.manual_seed(3);
        using var random = new AudioResNet18(10, 0);
        torch.manual_seed(3);
        using var pretrained = new AudioResNet18(10, 0);
        ImageNetInitializer.Apply(pretrained);
        var conv = pretrained.state_dict()["conv1.weight"];
        Assert.False(conv.allclose(random.state_dict()["conv1.weight"]));

        using var x = randn(1, 1, 64, 64);
        Assert.False(Layer1(pretrained, x).allclose(Layer1(random, x), rtol: 1e-3, atol: 1e-3));
    }

    [Fact]
    public void StateDictFileInitialisesEverythingButAMismatchedHead()
    {
        var path = Path.Combine(_dir, "weights.dat");
        using (var source = new AudioResNet18(5, 0))
        {
            ImageNetInitializer.Apply(source);
            source.save(path);
        }
        using var target = new AudioResNet18(10, 0);
        var report = StateDictInitializer.Apply(target, path);
        Assert.Contains("fc.weight", report.Random);
        Assert.Contains("fc.bias", report.Random);
        Assert.Contains("layer3.1.conv2.weight", report.Initialized.Keys);
        using var reloaded = new AudioResNet18(5, 0);
        reloaded.load(path);
        Assert.True(reloaded.state_dict()["layer3.1.conv2.weight"].allclose(target.state_dict()["layer3.1.conv2.weight"]));
    }

    [Fact]
    public void AOneChannelStateDictInitialisesBothChannelsOfACentredNetwork()
    {
        var path = Path.Combine(_dir, "grey.dat");
        using (var source = new AudioResNet18(10, 0))
        {
            ImageNetInitializer.Apply(source);
            source.save(path);
        }
        using var grey = new AudioResNet18(10, 0);
        grey.load(path);
        using var target = new AudioResNet18(10, 0, centredChannel: true);
        var report = StateDictInitializer.Apply(target, path);
        Assert.Contains("two channels", report.Initialized["conv1.weight"]);
        AssertHalvesOf(grey, target);
    }

    [Fact]
    public void GarbageStateDictIsRefused()
    {
        var path = Path.Combine(_dir, "bad.dat");
        File.WriteAllBytes(path, [0x05, 0x03, (byte)'a', (byte)'b', (byte)'c', 0x06, 0x04, 0x10, 0x10, 0x10, 0x10]);
        using var target = new AudioResNet18(10, 0);
        Assert.ThrowsAny<Exception>(() => StateDictInitializer.Apply(target, path));
    }

    /// <summary>The centred network's conv1 holds the grey network's filters halved, the same in both channels.</summary>
    private static void AssertHalvesOf(AudioResNet18 grey, AudioResNet18 centred)
    {
        var w = centred.state_dict()["conv1.weight"];
        Assert.Equal([64, 2, 7, 7], w.shape);
        using var first = w.narrow(1, 0, 1);
        using var second = w.narrow(1, 1, 1);
        using var sum = first.add(second);
        Assert.True(first.allclose(second, rtol: 0, atol: 0));
        Assert.True(sum.allclose(grey.state_dict()["conv1.weight"], rtol: 1e-6, atol: 1e-7));
    }

    private static Tensor Layer1(AudioResNet18 model, Tensor x)
    {
        model.eval();
        using var _ = no_grad();
        var modules = model.named_children().ToDictionary(c => c.name, c => c.module);
        var stem = ((nn.Module<Tensor, Tensor>)modules["conv1"]).forward(x);
        return ((nn.Module<Tensor, Tensor>)modules["layer1"]).forward(((nn.Module<Tensor, Tensor>)modules["bn1"]).forward(stem));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
