using TorchSharp;

namespace AudioClassifier.Trainer.Model;

/// <summary>Which tensors of a network were initialised from where; saved with every run.</summary>
/// <param name="Source">"random", "imagenet:&lt;path&gt;" or "state-dict:&lt;path&gt;".</param>
/// <param name="Initialized">Parameter and buffer names taken from the source, with how (e.g. summed RGB).</param>
/// <param name="Random">Names left at their random initialisation.</param>
public sealed record InitializationReport(string Source, IReadOnlyDictionary<string, string> Initialized, IReadOnlyList<string> Random)
{
    /// <summary>
    /// torchvision's ResNet initialisation: Kaiming-normal (fan-out, ReLU) convolutions, BatchNorm weight 1 and bias 0,
    /// PyTorch's default Linear (Kaiming-uniform, a = √5, which TorchSharp's Linear already has).
    /// </summary>
    public static InitializationReport RandomInit(AudioResNet18 model)
    {
        using var _ = torch.no_grad();
        foreach (var (_, module) in model.named_modules())
        {
            if (module is TorchSharp.Modules.Conv2d conv)
                torch.nn.init.kaiming_normal_(conv.weight, mode: torch.nn.init.FanInOut.FanOut, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
        }
        return new("random (torchvision: Kaiming-normal fan-out convolutions, BatchNorm 1/0, default Linear)", new Dictionary<string, string>(), model.state_dict().Keys.ToList());
    }
}
