using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AudioClassifier.Trainer.Data;

namespace AudioClassifier.Trainer.Training;

/// <summary>Cross-validation results: accuracy per held-out fold, and per-class recall averaged over folds.</summary>
public sealed record CrossValidationSummary(IReadOnlyDictionary<int, double> FoldAccuracy, IReadOnlyDictionary<string, double> ClassRecall, string Directory)
{
    public double Mean => FoldAccuracy.Values.Average();

    /// <summary>Accuracy per held-out fold with its clips played <see cref="ModelTrainer.QuieterTestDb"/> dB quieter.</summary>
    public IReadOnlyDictionary<int, double> QuieterFoldAccuracy { get; init; } = new Dictionary<int, double>();

    public double Std => Math.Sqrt(FoldAccuracy.Values.Select(a => (a - Mean) * (a - Mean)).Sum() / Math.Max(1, FoldAccuracy.Count - 1));

    public string ToText()
    {
        var sb = new StringBuilder();
        foreach (var (fold, acc) in FoldAccuracy)
            sb.AppendLine(CultureInfo.InvariantCulture, $"fold {fold}: {acc:P2}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"accuracy: {Mean:P2} ± {Std:P2} (mean ± sample std over {FoldAccuracy.Count} folds)");
        if (QuieterFoldAccuracy.Count > 0)
            sb.AppendLine(CultureInfo.InvariantCulture, $"accuracy {ModelTrainer.QuieterTestDb} dB quieter: {QuieterFoldAccuracy.Values.Average():P2}");
        foreach (var (cls, recall) in ClassRecall)
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {cls}: {recall:P1}");
        sb.Append(CultureInfo.InvariantCulture, $"runs: {Directory}");
        return sb.ToString();
    }
}

/// <summary>
/// Honest k-fold cross-validation: one model per held-out fold, trained with the same configuration on the other
/// folds; its epoch (and early stopping) chosen on a stratified validation split of those training folds
/// (<c>val_fraction</c>; 0: no split, every training clip is trained on for the recipe's fixed epoch count and the
/// last epoch is kept), and the held-out fold scored once with that checkpoint, so nothing is selected on the fold a
/// figure is reported on. <c>val_folds</c>, when given, limits which folds are held out.
/// </summary>
public sealed class CrossValidator(TrainingConfig config, TextWriter log)
{
    public CrossValidationSummary Run()
    {
        var dataset = DatasetLoader.Load(config.Dataset, Enum.Parse<DatasetLayout>(config.Layout, ignoreCase: true), config.Classes);
        if (!dataset.HasFolds)
            throw new DatasetException($"Cross-validation needs folds; {dataset.Root} has none (use the ESC-10 N- file prefix, ESC-50 or UrbanSound8K layouts).");
        string name = config.RunName ?? "cv-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var dir = Path.Combine(config.RunsDir, name);
        var accuracy = new SortedDictionary<int, double>();
        var quieterAccuracy = new SortedDictionary<int, double>();
        var recalls = new Dictionary<string, List<double>>();
        // --val-folds restricts which folds are held out (e.g. a quick ablation on folds 1-2); default: every fold.
        var heldOut = config.ValFolds.Count > 0 ? config.ValFolds : dataset.Folds;
        foreach (var fold in heldOut.Where(f => !dataset.Folds.Contains(f)))
            throw new DatasetException($"Fold {fold} does not exist; the dataset has folds {string.Join(", ", dataset.Folds)}.");
        log.WriteLine($"cross-validation runs in {dir}; if it is interrupted, the same command with --run-name {name} resumes from the folds already finished");
        foreach (var fold in heldOut)
        {
            var foldConfig = config with
            {
                TestFolds = [fold],
                ValFolds = [],
                ValFraction = config.ValFraction,
                RunsDir = dir,
                RunName = $"fold{fold}",
            };
            var foldDir = Path.Combine(dir, foldConfig.RunName);
            var (test, quieter, olderTrainer) = FinishedFold(foldDir, foldConfig);
            if (test is not null)
                log.WriteLine($"=== fold {fold}: finished earlier with these settings ({foldDir}), result reused ===");
            else
            {
                if (Directory.Exists(foldDir))
                {
                    log.WriteLine(olderTrainer
                        ? $"=== fold {fold}: {foldDir} was trained by a trainer that trains or scores these settings differently (another training revision; this one is {ModelTrainer.TrainingRevision}); training it again ==="
                        : $"=== fold {fold}: {foldDir} holds an unfinished or differently configured run; training it again ===");
                    Directory.Delete(foldDir, recursive: true);
                }
                log.WriteLine($"=== fold {fold} held out ===");
                var result = new ModelTrainer(foldConfig, log).Run();
                (test, quieter) = (result.Test!, result.TestQuieter);
            }
            accuracy[fold] = test.Accuracy;
            if (quieter is not null)
                quieterAccuracy[fold] = quieter.Accuracy;
            foreach (var m in test.PerClass)
                (recalls.TryGetValue(m.Class, out var list) ? list : recalls[m.Class] = []).Add(m.Recall);
        }
        var summary = new CrossValidationSummary(accuracy, recalls.ToDictionary(p => p.Key, p => p.Value.Average()), dir) { QuieterFoldAccuracy = quieterAccuracy };
        File.WriteAllText(Path.Combine(dir, "cv.json"), JsonSerializer.Serialize(new
        {
            protocol = config.ValFraction > 0
                ? "honest: each fold held out once; epoch chosen on a stratified validation split of the other folds; the held-out fold scored once with that checkpoint"
                : "honest: each fold held out once; trained on all other folds for the recipe's fixed epoch count; the held-out fold scored once with the last epoch",
            folds = summary.FoldAccuracy, mean = summary.Mean, std = summary.Std, class_recall = summary.ClassRecall,
            quieter_db = ModelTrainer.QuieterTestDb, quieter_folds = summary.QuieterFoldAccuracy,
            quieter_mean = quieterAccuracy.Count > 0 ? quieterAccuracy.Values.Average() : (double?)null, config,
        }, new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(Path.Combine(dir, "cv.txt"), summary.ToText() + Environment.NewLine);
        return summary;
    }

    /// <summary>
    /// The held-out fold's evaluation when <paramref name="foldDir"/> holds a finished run (its test_metrics.json is
    /// written last) trained with the same settings; settings that cannot change the result (threads, cache and runs
    /// folders) may differ, and settings newer than the run that are off by default count as off. A fold trained by an
    /// older <see cref="ModelTrainer.TrainingRevision"/> is reused only where the changes since do not touch its settings.
    /// </summary>
    private static (Evaluation? Test, Evaluation? Quieter, bool OlderTrainer) FinishedFold(string foldDir, TrainingConfig foldConfig)
    {
        string testFile = Path.Combine(foldDir, "test_metrics.json"), configFile = Path.Combine(foldDir, "config.json");
        if (!File.Exists(testFile) || !File.Exists(configFile))
            return default;
        try
        {
            // Settings added after a fold may have been trained are absent from its file; those listed here are off by
            // default, which is how such a fold was trained, so they count as their defaults. Any other difference
            // (gain_db, absent from early files, meant 0 then and defaults to 20 now) retrains the fold.
            var root = JsonNode.Parse(File.ReadAllText(configFile));
            var saved = root?["config"]?.AsObject();
            var defaults = JsonSerializer.SerializeToNode(new TrainingConfig(), TrainingConfig.JsonOptions)!.AsObject();
            foreach (var key in new[] { "outliers", "outlier_weight", "outlier_batch", "centred_channel" })
                if (saved is not null && !saved.ContainsKey(key))
                    saved[key] = defaults[key]!.DeepClone();
            // Augmentations added later were off before they existed: such a fold counts as trained with them off
            // (AugmentConfig.None's values), whatever the defaults are now.
            var off = JsonSerializer.SerializeToNode(AugmentConfig.None, TrainingConfig.JsonOptions)!.AsObject();
            if (saved?["augment"] is JsonObject augment)
                foreach (var key in new[] { "pitch_shift_semitones", "time_stretch", "eq_db", "background_probability", "background_min_snr_db", "background_max_snr_db", "freq_mixstyle_probability", "freq_mixstyle_alpha" })
                    if (!augment.ContainsKey(key))
                        augment[key] = off[key]!.DeepClone();
            var wanted = JsonSerializer.SerializeToNode(foldConfig)!.AsObject();
            foreach (var free in new[] { "threads", "cache_dir", "runs_dir" })
            {
                saved?.Remove(free);
                wanted.Remove(free);
            }
            if (!JsonNode.DeepEquals(saved, wanted))
                return default;
            if (TrainedDifferently(root?["training_revision"]?.GetValue<int>() ?? 1, foldConfig))
                return (null, null, true);
            var test = JsonNode.Parse(File.ReadAllText(testFile));
            return (test?["evaluation"].Deserialize<Evaluation>(), test?["quieter_evaluation"]?.Deserialize<Evaluation>(), false);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return default; // a file cut short by the interruption (or a field not as this trainer writes it): the fold is trained again
        }
    }

    /// <summary>
    /// Whether a fold trained at <paramref name="revision"/> (absent from config.json before revision 2: 1) was trained
    /// or scored differently from how this trainer does <paramref name="config"/>: revision 2 changed only the spectral
    /// colouring, revision 3 the scoring of clips longer than one window, revision 4 which of their windows count as silent,
    /// which a fold's files cannot rule out.
    /// </summary>
    private static bool TrainedDifferently(int revision, TrainingConfig config) => revision != ModelTrainer.TrainingRevision;
}
