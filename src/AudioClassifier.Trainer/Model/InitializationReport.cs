namespace AudioClassifier.Trainer.Model;

/// <summary>Which tensors of a network were initialised from where; saved with every run.</summary>
/// <param name="Source">"random", "imagenet:&lt;path&gt;" or "state-dict:&lt;path&gt;".</param>
/// <param name="Initialized">Parameter and buffer names taken from the source, with how (e.g. summed RGB).</param>
/// <param name="Random">Names left at their random initialisation.</param>
public sealed record InitializationReport(string Source, IReadOnlyDictionary<string, string> Initialized, IReadOnlyList<string> Random)
{
    public static InitializationReport RandomInit(AudioResNet18 model) =>
        new("random", new Dictionary<string, string>(), model.state_dict().Keys.ToList());
}
