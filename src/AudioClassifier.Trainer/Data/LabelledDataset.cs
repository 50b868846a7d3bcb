namespace AudioClassifier.Trainer.Data;

/// <summary>The dataset layouts the trainer reads.</summary>
public enum DatasetLayout
{
    Auto,
    UrbanSound8K,
    Esc50,
    Folders,
}

/// <summary>One labelled clip; <see cref="Fold"/> is null when the layout has no folds.</summary>
public sealed record DatasetItem(string Path, int Label, int? Fold);

/// <summary>A labelled dataset: class names in label order and the clips.</summary>
public sealed record LabelledDataset(string Root, DatasetLayout Layout, IReadOnlyList<string> Classes, IReadOnlyList<DatasetItem> Items)
{
    public bool HasFolds => Items.Count > 0 && Items.All(i => i.Fold is not null);

    /// <summary>Files of the class folders that are not clips the trainer reads (e.g. .flac, README.txt), relative to
    /// <see cref="Root"/>: reported, so that nothing is left out unnoticed.</summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];

    public IReadOnlyList<int> Folds => Items.Where(i => i.Fold is not null).Select(i => i.Fold!.Value).Distinct().Order().ToList();
}

/// <summary>Thrown for a dataset that cannot be read; the message names the file, row or folder at fault.</summary>
public sealed class DatasetException(string message) : Exception(message);
