using AudioClassifier.Trainer.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AudioClassifier.Trainer.Model;

/// <summary>torchvision's ResNet BasicBlock (two 3×3 convolutions and a residual), with the same parameter names.</summary>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly StableBatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly StableBatchNorm2d bn2;
    private readonly Sequential? downsample;

    public BasicBlock(int inChannels, int outChannels, int stride) : base(nameof(BasicBlock))
    {
        conv1 = Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
        bn1 = new StableBatchNorm2d(outChannels);
        conv2 = Conv2d(outChannels, outChannels, 3, stride: 1, padding: 1, bias: false);
        bn2 = new StableBatchNorm2d(outChannels);
        if (stride != 1 || inChannels != outChannels)
            downsample = Sequential(Conv2d(inChannels, outChannels, 1, stride: stride, bias: false), new StableBatchNorm2d(outChannels));
        RegisterComponents();
    }

    private ActivationRecorder? _recorder;
    private string _name = "";

    /// <summary>Reports this block's activations to <paramref name="recorder"/> (null: stop) as <c>name.conv1</c> etc.</summary>
    internal void Observe(ActivationRecorder? recorder, string name) => (_recorder, _name) = (recorder, name);

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? x : downsample.forward(x);
        if (downsample is not null)
            _recorder?.Observe(_name + ".downsample", identity);
        var y = functional.relu(bn1.forward(conv1.forward(x)));
        _recorder?.Observe(_name + ".conv1", y);
        y = bn2.forward(conv2.forward(y));
        _recorder?.Observe(_name + ".conv2", y);
        var output = functional.relu(y.add(identity, HeldScalars.One));
        _recorder?.Observe(_name, output);
        return output.MoveToOuterDisposeScope();
    }
}
