using AudioClassifier.Trainer.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AudioClassifier.Trainer.Training;

/// <summary>
/// TorchSharp's SGD (same options, momentum state and LR-scheduler support) with an update step that holds every
/// scalar it passes to LibTorch until the step ends; the stock step's implicit scalars can be freed mid-call by the
/// finaliser (see <see cref="HeldScalars"/>). The arithmetic is the stock step's, operation for operation.
/// </summary>
public sealed class StableSgd(IEnumerable<Parameter> parameters, double lr, double momentum, double weightDecay)
    : SGD(parameters, lr, momentum, weight_decay: weightDecay)
{
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = group.Options;
        double momentum = options.momentum!.Value, dampening = options.dampening!.Value, weightDecay = options.weight_decay!.Value;
        double lr = options.LearningRate!.Value;
        bool nesterov = options.nesterov!.Value;
        if (options.maximize!.Value)
            throw new NotSupportedException("The trainer's SGD does not support maximize.");
        foreach (var param in group.Parameters)
        {
            var grad = param.grad;
            if (grad is null)
                continue;
            var state = (State)_state[param.Handle];
            using var s = new HeldScalars();
            if (weightDecay != 0)
                grad = grad.add(param, s.Of(weightDecay));
            if (momentum != 0)
            {
                var buffer = state.momentum_buffer;
                if (buffer is null)
                    state.momentum_buffer = buffer = grad.clone().detach().DetachFromDisposeScope();
                else
                    buffer.mul_(s.Of(momentum)).add_(grad, s.Of(1 - dampening));
                grad = nesterov ? grad.add(buffer, s.Of(momentum)) : buffer;
            }
            param.add_(grad, s.Of(-lr));
        }
    }, closure);
}
