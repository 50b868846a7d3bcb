using AudioClassifier.Trainer.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AudioClassifier.Trainer.Training;

/// <summary>
/// TorchSharp's AdamW (same options, state and LR-scheduler support) with an update step that holds every scalar it
/// passes to LibTorch until the step ends; the stock step's implicit scalars can be freed mid-call by the finaliser
/// (see <see cref="HeldScalars"/>). The arithmetic is the stock step's, operation for operation.
/// </summary>
public sealed class StableAdamW(IEnumerable<Parameter> parameters, double lr, double weightDecay)
    : AdamW(parameters, lr, weight_decay: weightDecay)
{
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, eps = options.eps!.Value;
        double weightDecay = options.weight_decay!.Value, lr = options.LearningRate!.Value;
        if (options.amsgrad!.Value || options.maximize!.Value)
            throw new NotSupportedException("The trainer's AdamW supports neither amsgrad nor maximize.");
        foreach (var param in group.Parameters)
        {
            var grad = param.grad;
            if (grad is null)
                continue;
            var state = (State)_state[param.Handle];
            state.step += 1;
            double biasCorrection1 = 1 - Math.Pow(beta1, state.step), biasCorrection2 = 1 - Math.Pow(beta2, state.step);
            using var s = new HeldScalars();
            param.mul_(s.Of(1 - lr * weightDecay));
            state.exp_avg.mul_(s.Of(beta1)).add_(grad, s.Of(1 - beta1));
            state.exp_avg_sq.mul_(s.Of(beta2)).addcmul_(grad, grad, s.Of(1 - beta2));
            var denom = state.exp_avg_sq.sqrt().div_(s.Of(Math.Sqrt(biasCorrection2))).add_(s.Of(eps), HeldScalars.One);
            param.addcdiv_(state.exp_avg, denom, s.Of(-(lr / biasCorrection1)));
        }
    }, closure);
}
