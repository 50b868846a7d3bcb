namespace AudioClassifier.Trainer.Data;

/// <summary>Train/validation partition of a dataset: by folds when it has them, else a seeded stratified split.</summary>
public sealed record DatasetSplit(IReadOnlyList<DatasetItem> Train, IReadOnlyList<DatasetItem> Validation, string Description)
{
    public static DatasetSplit Create(LabelledDataset dataset, IReadOnlyList<int>? validationFolds, double validationFraction, int seed)
    {
        if (dataset.HasFolds && validationFolds is { Count: > 0 })
        {
            foreach (var f in validationFolds.Where(f => !dataset.Folds.Contains(f)))
                throw new DatasetException($"Validation fold {f} does not exist; the dataset has folds {string.Join(", ", dataset.Folds)}.");
            var val = dataset.Items.Where(i => validationFolds.Contains(i.Fold!.Value)).ToList();
            var train = dataset.Items.Where(i => !validationFolds.Contains(i.Fold!.Value)).ToList();
            if (train.Count == 0)
                throw new DatasetException("Every fold is a validation fold; nothing is left to train on.");
            return new DatasetSplit(train, val, $"validation folds {string.Join(",", validationFolds)}");
        }
        if (validationFraction <= 0)
            return new DatasetSplit(dataset.Items, [], "no validation");
        var rng = new Random(seed);
        var trainItems = new List<DatasetItem>();
        var valItems = new List<DatasetItem>();
        foreach (var group in dataset.Items.GroupBy(i => i.Label).OrderBy(g => g.Key))
        {
            var shuffled = group.OrderBy(_ => rng.Next()).ToList();
            int take = shuffled.Count < 2 ? 0 : Math.Max(1, (int)Math.Round(shuffled.Count * validationFraction));
            valItems.AddRange(shuffled.Take(take));
            trainItems.AddRange(shuffled.Skip(take));
        }
        return new DatasetSplit(trainItems, valItems, $"stratified {validationFraction:P0} validation (seed {seed})");
    }
}
