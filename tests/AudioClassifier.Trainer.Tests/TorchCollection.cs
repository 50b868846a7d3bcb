namespace AudioClassifier.Trainer.Tests;

/// <summary>Torch's random generator is process-wide: tests that seed or draw from it must not run concurrently.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    public const string Name = "torch";
}
