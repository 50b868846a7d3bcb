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
        // The classes in the model's order (recorded at training), whatever folders the dataset holds now.
        var classes = config.Classes ?? runConfig.GetProperty("classes").EnumerateArray().Select(e => e.GetString()!).ToList();
        var dataset = DatasetLoader.Load(config.Dataset, Enum.Parse<DatasetLayout>(config.Layout, ignoreCase: true), classes);
        if (config.Classes is null && !dataset.Classes.SequenceEqual(classes))
            throw new DatasetException($"The dataset at {config.Dataset} has classes {string.Join(", ", dataset.Classes)}, the run was trained on {string.Join(", ", classes)}.");
        // Another set of clips would split differently: clips the model trained on could count as held out.
        if (runConfig.TryGetProperty("dataset", out var recorded) && recorded.TryGetProperty("clips", out var clips) && clips.GetInt32() != dataset.Items.Count)
            throw new DatasetException($"The dataset at {config.Dataset} holds {dataset.Items.Count} clips, the run trained with {clips.GetInt32()}: its split cannot be recomputed.");
        return (config, DatasetSplit.Create(dataset, config.ValFolds, config.ValFraction, config.Seed, config.TestFolds));
    }
}
