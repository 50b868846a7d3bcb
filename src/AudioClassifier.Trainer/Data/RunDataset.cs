using System.Text.Json;
using AudioClassifier.Trainer.Training;

namespace AudioClassifier.Trainer.Data;

/// <summary>A finished run's data as it was split when it trained (recomputed from its config.json: the split is
/// deterministic), for what export does with its clips: int8 activation ranges, the open-set bank and threshold.</summary>
public static class RunDataset
{
    /// <param name="runConfig">The run's config.json root.</param>
    /// <param name="datasetOverride">Where the dataset is now, if it moved since training.</param>
    /// <param name="purpose">What the clips are needed for, for the error when the dataset is gone.</param>
    public static (TrainingConfig Config, DatasetSplit Split) Load(JsonElement runConfig, string? datasetOverride, string purpose)
    {
        var config = runConfig.GetProperty("config").Deserialize<TrainingConfig>()
            ?? throw new InvalidDataException("The run's config.json has no training config.");
        if (datasetOverride is not null)
            config = config with { Dataset = datasetOverride };
        if (!Directory.Exists(config.Dataset))
            throw new DatasetException($"{purpose}, but the run's dataset {config.Dataset} is not there; give --calibration-dataset.");
        var dataset = DatasetLoader.Load(config.Dataset, Enum.Parse<DatasetLayout>(config.Layout, ignoreCase: true), config.Classes);
        return (config, DatasetSplit.Create(dataset, config.ValFolds, config.ValFraction, config.Seed, config.TestFolds));
    }
}
