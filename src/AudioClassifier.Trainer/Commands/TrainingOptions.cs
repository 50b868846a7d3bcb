using System.CommandLine;
using System.Globalization;
using AudioClassifier.Terminal;
using AudioClassifier.Trainer.Training;

namespace AudioClassifier.Trainer.Commands;

/// <summary>Flags shared by <c>train</c> and <c>cv</c>; each overrides the recipe and the config file.</summary>
internal sealed class TrainingOptions
{
    public Option<string?> Dataset { get; } = new("--dataset") { Description = "Dataset folder (UrbanSound8K, ESC-50 or folder-per-class layout)." };
    public Option<FileInfo?> Config { get; } = new("--config") { Description = "JSON config file (fields as in a run's config.json)." };
    public Option<string> Recipe { get; } = new("--recipe") { Description = "Base recipe: default or seed (the seed tutorial).", DefaultValueFactory = _ => "default" };
    public Option<string?> Layout { get; } = new("--layout") { Description = "auto, urbansound8k, esc50 or folders." };
    public Option<string?> ValFolds { get; } = new("--val-folds") { Description = "Comma-separated validation folds, e.g. 4." };
    public Option<double?> ValFraction { get; } = new("--val-fraction") { Description = "Stratified validation share (default 0.2) when no validation folds are given." };
    public Option<string?> TestFolds { get; } = new("--test-folds") { Description = "Comma-separated folds kept out of training and of every choice, scored once at the end with the chosen checkpoint." };
    public FeatureSpecOptions Features { get; } = new("--features");
    public Option<string?> Init { get; } = new("--init") { Description = "imagenet, random, or a TorchSharp state-dict file." };
    public Option<int?> Epochs { get; } = new("--epochs");
    public Option<int?> BatchSize { get; } = new("--batch-size");
    public Option<double?> Lr { get; } = new("--lr");
    public Option<string?> Optimizer { get; } = new("--optimizer") { Description = "sgd or adamw." };
    public Option<string?> Scheduler { get; } = new("--scheduler") { Description = "step, cosine, onecycle or none." };
    public Option<int?> StepSize { get; } = new("--step-size") { Description = "StepLR: epochs between learning-rate drops." };
    public Option<double?> Gamma { get; } = new("--gamma") { Description = "StepLR: factor applied at each drop." };
    public Option<double?> Momentum { get; } = new("--momentum") { Description = "SGD momentum." };
    public Option<double?> WeightDecay { get; } = new("--weight-decay") { Description = "Weight decay (decoupled for AdamW, L2 for SGD)." };
    public Option<double?> Dropout { get; } = new("--dropout") { Description = "Dropout before the classifier head." };
    public Option<bool?> CentredChannel { get; } = new("--centred-channel") { Description = "Give conv1 a second channel inside the network: the log-mel minus each mel band's mean over the window (true or false)." };
    public Option<double?> EmaDecay { get; } = new("--ema") { Description = "Keep and evaluate an exponential moving average of the weights with this decay per step (0 disables)." };
    public Option<bool> NoAugment { get; } = new("--no-augment") { Description = "Disable time shift, SpecAugment and mixup." };
    public Option<double?> Mixup { get; } = new("--mixup") { Description = "Mixup alpha (0 disables)." };
    public Option<double?> GainDb { get; } = new("--gain-db") { Description = "Random level change of training clips, ± this many dB (0 disables)." };
    public Option<bool?> TimeRoll { get; } = new("--time-roll") { Description = "Rotate windows a clip fills by a random number of frames, wrapping round (true or false)." };
    public Option<double?> PitchShift { get; } = new("--pitch-shift") { Description = "Random pitch shift of training clips, ± this many semitones (0 disables)." };
    public Option<double?> TimeStretch { get; } = new("--time-stretch") { Description = "Random time stretch of training clips: between 1/(1+S) and 1+S times as long, S from 0 (off) to 1 (e.g. 0.25)." };
    public Option<double?> EqDb { get; } = new("--eq-db") { Description = "Random spectral colouring of training clips: a smooth gain curve across the mel bands within ± this many dB (default 10; 0 disables)." };
    public Option<double?> Background { get; } = new("--background") { Description = "Probability of mixing another training clip under a training clip, 10–20 dB below it (0 disables; the range is augment.background_min_snr_db/max in a --config file)." };
    public Option<double?> FreqMixStyle { get; } = new("--freq-mixstyle") { Description = "Probability per batch of frequency-wise MixStyle: each clip's per-band mean and deviation mixed with another clip's (0 disables; α in augment.freq_mixstyle_alpha of a --config file, default 0.3)." };
    public Option<string[]> OutlierExposure { get; } = new("--outlier-exposure") { Description = "Folders of sounds that are none of the classes (searched recursively): trained towards a uniform answer beside every batch (outlier exposure), for a better \"not recognised\".", AllowMultipleArgumentsPerToken = true };
    public Option<double?> OutlierWeight { get; } = new("--outlier-weight") { Description = "Weight of the outlier-exposure loss (default 0.5)." };
    public Option<int?> OutlierBatch { get; } = new("--outlier-batch") { Description = "Outlier clips added to each training batch (default 16)." };
    public Option<string?> EvaluationWindows { get; } = new("--evaluation-windows") { Description = "How validation and test clips longer than one window are scored: served (default: the mean over the service's windows) or first (the first window only)." };
    public Option<int?> Patience { get; } = new("--patience") { Description = "Early-stopping patience in epochs (0 disables)." };
    public Option<int?> Seed { get; } = new("--seed");
    public Option<int?> Threads { get; } = new("--threads");
    public Option<string?> RunsDir { get; } = new("--runs-dir");
    public Option<string?> RunName { get; } = new("--run-name");
    public Option<string?> CacheDir { get; } = new("--cache-dir");

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Dataset, Config, Recipe, Layout, ValFolds, ValFraction, TestFolds, Init, Epochs, BatchSize, Lr, Optimizer,
                     Scheduler, StepSize, Gamma, Momentum, WeightDecay, Dropout, CentredChannel, EmaDecay, NoAugment, Mixup, GainDb, TimeRoll, PitchShift, TimeStretch, EqDb, Background, FreqMixStyle, OutlierExposure, OutlierWeight, OutlierBatch, EvaluationWindows, Patience, Seed, Threads, RunsDir, RunName, CacheDir })
            command.Options.Add(o);
        Features.AddTo(command);
    }

    public TrainingConfig Resolve(ParseResult r)
    {
        var config = TrainingConfig.Recipe(r.GetValue(Recipe)!);
        if (r.GetValue(Config) is { } file)
            config = TrainingConfig.FromFile(file.FullName, config);
        config = config with
        {
            Dataset = r.GetValue(Dataset) ?? config.Dataset,
            Layout = r.GetValue(Layout) ?? config.Layout,
            ValFolds = r.GetValue(ValFolds) is { } folds ? folds.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(f => int.Parse(f, CultureInfo.InvariantCulture)).ToList() : config.ValFolds,
            ValFraction = r.GetValue(ValFraction) ?? config.ValFraction,
            TestFolds = r.GetValue(TestFolds) is { } tests ? tests.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(f => int.Parse(f, CultureInfo.InvariantCulture)).ToList() : config.TestFolds,
            Features = Features.Resolve(r, config.Features),
            Init = r.GetValue(Init) ?? config.Init,
            Epochs = r.GetValue(Epochs) ?? config.Epochs,
            BatchSize = r.GetValue(BatchSize) ?? config.BatchSize,
            LearningRate = r.GetValue(Lr) ?? config.LearningRate,
            Optimizer = r.GetValue(Optimizer) ?? config.Optimizer,
            Scheduler = r.GetValue(Scheduler) ?? config.Scheduler,
            StepSize = r.GetValue(StepSize) ?? config.StepSize,
            Gamma = r.GetValue(Gamma) ?? config.Gamma,
            Momentum = r.GetValue(Momentum) ?? config.Momentum,
            WeightDecay = r.GetValue(WeightDecay) ?? config.WeightDecay,
            Dropout = r.GetValue(Dropout) ?? config.Dropout,
            CentredChannel = r.GetValue(CentredChannel) ?? config.CentredChannel,
            EmaDecay = r.GetValue(EmaDecay) ?? config.EmaDecay,
            Augment = r.GetValue(NoAugment) ? AugmentConfig.None : config.Augment with
            {
                MixupAlpha = r.GetValue(Mixup) ?? config.Augment.MixupAlpha,
                GainDb = r.GetValue(GainDb) ?? config.Augment.GainDb,
                TimeRoll = r.GetValue(TimeRoll) ?? config.Augment.TimeRoll,
                PitchShiftSemitones = r.GetValue(PitchShift) ?? config.Augment.PitchShiftSemitones,
                TimeStretch = r.GetValue(TimeStretch) ?? config.Augment.TimeStretch,
                EqDb = r.GetValue(EqDb) ?? config.Augment.EqDb,
                BackgroundProbability = r.GetValue(Background) ?? config.Augment.BackgroundProbability,
                FreqMixStyleProbability = r.GetValue(FreqMixStyle) ?? config.Augment.FreqMixStyleProbability,
            },
            // Absolute, as recorded in config.json: export finds their ATTRIBUTION.md from any working directory.
            Outliers = (r.GetValue(OutlierExposure) is { Length: > 0 } outliers ? outliers : config.Outliers).Select(Path.GetFullPath).ToList(),
            OutlierWeight = r.GetValue(OutlierWeight) ?? config.OutlierWeight,
            OutlierBatch = r.GetValue(OutlierBatch) ?? config.OutlierBatch,
            EarlyStoppingPatience = r.GetValue(Patience) ?? config.EarlyStoppingPatience,
            EvaluationWindows = r.GetValue(EvaluationWindows) ?? config.EvaluationWindows,
            Seed = r.GetValue(Seed) ?? config.Seed,
            Threads = r.GetValue(Threads) ?? config.Threads,
            RunsDir = r.GetValue(RunsDir) ?? config.RunsDir,
            RunName = r.GetValue(RunName) ?? config.RunName,
            CacheDir = r.GetValue(CacheDir) ?? config.CacheDir,
        };
        return config.Validate();
    }
}
