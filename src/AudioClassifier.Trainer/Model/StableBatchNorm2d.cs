using AudioClassifier.Trainer.Native;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace AudioClassifier.Trainer.Model;

/// <summary>
/// BatchNorm2d with torchvision's names, defaults and initialisation (weight 1, bias 0, running mean 0 / variance 1,
/// momentum 0.1, eps 1e-5). It replaces TorchSharp's, whose training step counts batches with
/// <c>num_batches_tracked.add_(1)</c> on a temporary scalar the finaliser can free mid-call (see
/// <see cref="HeldScalars"/>): this one counts with a scalar that lives as long as the process.
/// </summary>
public sealed class StableBatchNorm2d : Module<Tensor, Tensor>
{
    private const double Momentum = 0.1, Epsilon = 1e-5;
    private readonly TorchSharp.Modules.Parameter weight;
    private readonly TorchSharp.Modules.Parameter bias;
    private readonly Tensor running_mean;
    private readonly Tensor running_var;
    private readonly Tensor num_batches_tracked;

    public StableBatchNorm2d(long features) : base("BatchNorm2d")
    {
        weight = Parameter(ones(features));
        bias = Parameter(zeros(features));
        running_mean = zeros(features);
        running_var = ones(features);
        num_batches_tracked = tensor(0L);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4)
            throw new ArgumentException($"BatchNorm2d expects [batch, channels, height, width], got {input.dim()} dimensions.", nameof(input));
        if (training)
            num_batches_tracked.add_(HeldScalars.One, HeldScalars.One);
        return functional.batch_norm(input, running_mean, running_var, weight, bias, training, Momentum, Epsilon);
    }
}
