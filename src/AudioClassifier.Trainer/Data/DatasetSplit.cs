namespace AudioClassifier.Trainer.Data;

/// <summary>
/// Train/validation(/test) partition of a dataset: test folds first kept out entirely; then validation by folds when
/// given, else a seeded stratified split of what is left.
/// </summary>
public sealed record DatasetSplit(IReadOnlyList<DatasetItem> Train, IReadOnlyList<DatasetItem> Validation, string Description)
{
    /// <summary>Clips of the test folds: never trained on, never used to choose anything.</summary>
    public IReadOnlyList<DatasetItem> Test { get; init; } = [];

    public static DatasetSplit Create(LabelledDataset dataset, IReadOnlyList<int>? validationFolds, double validationFraction, int seed, IReadOnlyList<int>? testFolds = null)
    {
        if (testFolds is { Count: > 0 })
        {
            if (!dataset.HasFolds)
                throw new DatasetException("Test folds need a dataset with folds (the ESC-10 N- file prefix, ESC-50 or UrbanSound8K layouts).");
            foreach (var f in testFolds.Where(f => !dataset.Folds.Contains(f)))
                throw new DatasetException($"Test fold {f} does not exist; the dataset has folds {string.Join(", ", dataset.Folds)}.");
            var rest = dataset with { Items = dataset.Items.Where(i => !testFolds.Contains(i.Fold!.Value)).ToList() };
            var inner = Create(rest, validationFolds, validationFraction, seed);
            return inner with
            {
                Test = dataset.Items.Where(i => testFolds.Contains(i.Fold!.Value)).ToList(),
                Description = $"{inner.Description}; test folds {string.Join(",", testFolds)} held out",
            };
        }
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
