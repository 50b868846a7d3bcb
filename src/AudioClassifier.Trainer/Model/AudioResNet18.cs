using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AudioClassifier.Trainer.Model;

/// <summary>
/// ResNet18 for log-mel input [batch, 1, n_mels, frames]: torchvision's architecture and state-dict names, a
/// one-channel conv1, dropout before the <c>fc</c> head with one output per class, and the input standardisation
/// (dataset mean and standard deviation of the dB values) kept as buffers so it travels with the weights. With
/// <see cref="CentredChannel"/>, conv1 reads two channels: the standardised log-mel and the same minus each mel band's
/// mean over the window (the recording's steady spectral colour removed), computed inside the network so the input
/// contract and front end stay one channel.
/// </summary>
public sealed class AudioResNet18 : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly StableBatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly Linear fc;
    private readonly Tensor input_mean;
    private readonly Tensor input_std;

    public AudioResNet18(int classes, double dropout, bool centredChannel = false) : base(nameof(AudioResNet18))
    {
        if (classes < 2)
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "A classifier needs at least two classes.");
        Classes = classes;
        Dropout = dropout;
        CentredChannel = centredChannel;
        conv1 = Conv2d(centredChannel ? 2 : 1, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = new StableBatchNorm2d(64);
        layer1 = Sequential(new BasicBlock(64, 64, 1), new BasicBlock(64, 64, 1));
        layer2 = Sequential(new BasicBlock(64, 128, 2), new BasicBlock(128, 128, 1));
        layer3 = Sequential(new BasicBlock(128, 256, 2), new BasicBlock(256, 256, 1));
        layer4 = Sequential(new BasicBlock(256, 512, 2), new BasicBlock(512, 512, 1));
        fc = Linear(512, classes);
        input_mean = zeros(1);
        input_std = ones(1);
        RegisterComponents();
    }

    public int Classes { get; }

    public double Dropout { get; }

    /// <summary>conv1 also reads the input minus each mel band's time mean (a second channel).</summary>
    public bool CentredChannel { get; }

    /// <summary>A centred network's starting conv1 from a one-channel (grey) filter bank: half of it in each channel, so
    /// that together they first act as it does, less half its response to the steady colour.</summary>
    public static Tensor HalvedIntoBothChannels(Tensor grey)
    {
        using var half = grey.div(2);
        return cat([half, half], 1);
    }

    /// <summary>Sets the input standardisation from the training set's statistics.</summary>
    public void SetInputNormalization(float mean, float std)
    {
        using var _ = no_grad();
        using var scalars = new Native.HeldScalars();
        input_mean.fill_(scalars.Of(mean));
        input_std.fill_(scalars.Of(Math.Max(std, 1e-6f)));
    }

    public (float Mean, float Std) InputNormalization => (input_mean.item<float>(), input_std.item<float>());

    /// <summary>Set while calibrating an int8 export: every forward pass reports its activations' ranges.</summary>
    public ActivationRecorder? Recorder
    {
        get => _recorder;
        set
        {
            _recorder = value;
            foreach (var layer in new[] { layer1, layer2, layer3, layer4 })
                for (int i = 0; i < 2; i++)
                    ((BasicBlock)layer[i]).Observe(value, $"{LayerName(layer)}.{i}");
        }
    }

    private ActivationRecorder? _recorder;

    private string LayerName(Sequential layer) => layer == layer1 ? "layer1" : layer == layer2 ? "layer2" : layer == layer3 ? "layer3" : "layer4";

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = x.sub(input_mean).div(input_std); // sub(Tensor) passes no scalar (add(Tensor) does: see BasicBlock)
        _recorder?.Observe("input", x);
        if (CentredChannel)
        {
            x = cat([x, x.sub(x.mean([3], keepdim: true))], 1);
            _recorder?.Observe("input_centred", x);
        }
        x = functional.relu(bn1.forward(conv1.forward(x)));
        _recorder?.Observe("conv1", x);
        x = functional.max_pool2d(x, 3, 2, 1);
        x = layer4.forward(layer3.forward(layer2.forward(layer1.forward(x))));
        x = functional.adaptive_avg_pool2d(x, 1).flatten(1);
        _recorder?.Observe("pool", x);
        x = functional.dropout(x, Dropout, training);
        return fc.forward(x).MoveToOuterDisposeScope();
    }
}
