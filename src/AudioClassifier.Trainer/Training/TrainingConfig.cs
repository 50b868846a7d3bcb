using System.Text.Json;
using System.Text.Json.Serialization;
using AudioClassifier.Audio.Features;

namespace AudioClassifier.Trainer.Training;

/// <summary>
/// Every training setting, in one place: read from a JSON config file and/or flags, validated, and saved resolved
/// with each run (no magic numbers in the training code).
/// </summary>
public sealed record TrainingConfig
{
    [JsonPropertyName("dataset")] public string Dataset { get; init; } = "";
    [JsonPropertyName("layout")] public string Layout { get; init; } = "auto";
    [JsonPropertyName("classes")] public IReadOnlyList<string>? Classes { get; init; }
    [JsonPropertyName("val_folds")] public IReadOnlyList<int> ValFolds { get; init; } = [];
    [JsonPropertyName("val_fraction")] public double ValFraction { get; init; } = 0.2;
    /// <summary>Folds kept out of training and of every choice (epoch, early stopping): scored once after training
    /// with the checkpoint the validation split chose.</summary>
    [JsonPropertyName("test_folds")] public IReadOnlyList<int> TestFolds { get; init; } = [];
    [JsonPropertyName("features")] public FeatureSpec Features { get; init; } = FeatureSpec.Default;
    [JsonPropertyName("init")] public string Init { get; init; } = "imagenet";
    [JsonPropertyName("epochs")] public int Epochs { get; init; } = 30;
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 32;
    [JsonPropertyName("optimizer")] public string Optimizer { get; init; } = "adamw";
    [JsonPropertyName("lr")] public double LearningRate { get; init; } = 1e-3;
    [JsonPropertyName("momentum")] public double Momentum { get; init; } = 0.9;
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; } = 1e-2;
    [JsonPropertyName("scheduler")] public string Scheduler { get; init; } = "cosine";
    [JsonPropertyName("step_size")] public int StepSize { get; init; } = 7;
    [JsonPropertyName("gamma")] public double Gamma { get; init; } = 0.1;
    /// <summary>Dropout before the head: 0.5 since 2026-11-27 (honest ESC-10 CV, docs/esc10-model.md); 0.3 before.</summary>
    [JsonPropertyName("dropout")] public double Dropout { get; init; } = 0.5;
    /// <summary>conv1 also reads the log-mel minus each mel band's mean over the window (see <c>AudioResNet18</c>);
    /// off by default.</summary>
    [JsonPropertyName("centred_channel")] public bool CentredChannel { get; init; }
    [JsonPropertyName("augment")] public AugmentConfig Augment { get; init; } = new();
    /// <summary>Evaluate and keep an exponential moving average of the weights (decay per step, warmed up as
    /// min(decay, (1 + t) / (10 + t))); 0 disables.</summary>
    [JsonPropertyName("ema_decay")] public double EmaDecay { get; init; }
    /// <summary>Outlier exposure (Hendrycks et al. 2019): folders of sounds that are none of the classes; each training
    /// batch also carries <see cref="OutlierBatch"/> of them, augmented like the training clips, and the loss adds
    /// <see cref="OutlierWeight"/> × their cross-entropy to the uniform distribution, so the model learns to be unsure
    /// of what it was never meant to know. Empty: off.</summary>
    [JsonPropertyName("outliers")] public IReadOnlyList<string> Outliers { get; init; } = [];
    [JsonPropertyName("outlier_weight")] public double OutlierWeight { get; init; } = 0.5;
    [JsonPropertyName("outlier_batch")] public int OutlierBatch { get; init; } = 16;
    /// <summary>How validation and test clips longer than one window are scored: "served" (default), the mean over the
    /// windows the service scores; "first", the first window only (the trainer before 2026-11-27, and what a
    /// PyTorch reference that crops each clip once compares with).</summary>
    [JsonPropertyName("evaluation_windows")] public string EvaluationWindows { get; init; } = "served";
    [JsonPropertyName("early_stopping_patience")] public int EarlyStoppingPatience { get; init; } = 10;
    [JsonPropertyName("seed")] public int Seed { get; init; } = 42;
    [JsonPropertyName("threads")] public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Where computed features are cached (keyed by file hash and feature spec): per user, under
    /// $XDG_CACHE_HOME or ~/.cache, not a /tmp folder other users share.</summary>
    [JsonPropertyName("cache_dir")] public string CacheDir { get; init; } = DefaultCacheDir();

    private static string DefaultCacheDir()
    {
        var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } home ? Path.Combine(home, ".cache")
            : Path.GetTempPath();
        return Path.Combine(root, "audioclf", "features");
    }
    [JsonPropertyName("runs_dir")] public string RunsDir { get; init; } = "runs";
    [JsonPropertyName("run_name")] public string? RunName { get; init; }
    [JsonPropertyName("tensorboard_samples")] public int TensorBoardSamples { get; init; } = 4;

    /// <summary>
    /// The seed tutorial notebook's recipe: seed features, SGD lr 0.005 momentum 0.9 without weight decay, batch 8,
    /// Dropout 0.25 before the linear head, StepLR, 6 epochs, no augmentation. The notebook's StepLR arguments are not
    /// recorded; this keeps those of the PyTorch transfer-learning tutorial it follows (step 7, γ 0.1), which never fire
    /// within 6 epochs (<c>--step-size</c>/<c>--gamma</c> change them).
    /// </summary>
    public static TrainingConfig SeedRecipe { get; } = new()
    {
        Features = FeatureSpec.Seed, Optimizer = "sgd", LearningRate = 0.005, Momentum = 0.9, WeightDecay = 0,
        Scheduler = "step", StepSize = 7, Gamma = 0.1, Epochs = 6, BatchSize = 8, Dropout = 0.25,
        Augment = AugmentConfig.None, EarlyStoppingPatience = 0,
    };

    /// <summary>The default recipe for new models: default features, AdamW + cosine, augmentation and mixup.</summary>
    public static TrainingConfig DefaultRecipe { get; } = new();

    public static TrainingConfig Recipe(string name) => name.ToLowerInvariant() switch
    {
        "seed" => SeedRecipe,
        "default" => DefaultRecipe,
        _ => throw new ArgumentException($"Unknown recipe '{name}'; known recipes: seed, default."),
    };

    public static JsonSerializerOptions JsonOptions { get; } = new() { WriteIndented = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    /// <summary>
    /// The base recipe with the settings of a JSON file: fields as in a run's config.json (that whole file works too:
    /// its "config" object is read). Nested objects (augment, features) are merged field by field, so a file may set
    /// one augmentation or feature setting and keep the recipe's others; an unknown field is an error naming it.
    /// </summary>
    public static TrainingConfig FromFile(string path, TrainingConfig baseConfig)
    {
        var merged = JsonSerializer.SerializeToNode(baseConfig, JsonOptions)!.AsObject();
        System.Text.Json.Nodes.JsonNode? parsed;
        try
        {
            parsed = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{path} is not valid JSON: {e.Message}", e);
        }
        if (parsed is not System.Text.Json.Nodes.JsonObject overrides)
            throw new ArgumentException($"{path} is not a JSON object of settings.");
        // A run's config.json: its settings sit under "config" beside what the run recorded (classes, feature_spec_json, ...).
        if (overrides["config"] is System.Text.Json.Nodes.JsonObject runSettings && overrides.ContainsKey("feature_spec_json"))
        {
            overrides = (System.Text.Json.Nodes.JsonObject)runSettings.DeepClone();
            overrides.Remove("run_name"); // that run's folder: a new run names its own (--run-name, or the time)
        }
        Merge(merged, overrides, "", path, typeof(TrainingConfig));
        try
        {
            return merged.Deserialize<TrainingConfig>(JsonOptions)!;
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{path}: a setting has a value of the wrong type{(e.Path is { } at ? $" ({at.TrimStart('$', '.')})" : "")}.", e);
        }
    }

    // Known settings come from the type, not from the saved base: a setting left out of the JSON at its default
    // (features.padding "zeros") is still a setting.
    private static void Merge(System.Text.Json.Nodes.JsonObject target, System.Text.Json.Nodes.JsonObject source, string prefix, string file, Type type)
    {
        var known = JsonOptions.GetTypeInfo(type).Properties.ToDictionary(p => p.Name, p => p.PropertyType);
        foreach (var (key, value) in source)
        {
            if (!known.TryGetValue(key, out var propertyType))
                throw new ArgumentException($"{file}: unknown setting '{prefix}{key}'; the settings{(prefix.Length > 0 ? $" of {prefix.TrimEnd('.')}" : "")} are: {string.Join(", ", known.Keys)}.");
            if (target[key] is System.Text.Json.Nodes.JsonObject inner && value is System.Text.Json.Nodes.JsonObject innerSource)
                Merge(inner, innerSource, $"{prefix}{key}.", file, propertyType);
            else
                target[key] = value?.DeepClone();
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public TrainingConfig Validate()
    {
        Require(!string.IsNullOrWhiteSpace(Dataset), "dataset", "is required");
        Require(Enum.TryParse<Data.DatasetLayout>(Layout, ignoreCase: true, out _) && !char.IsAsciiDigit(Layout.TrimStart('-').FirstOrDefault()), "layout", $"must be auto, urbansound8k, esc50 or folders (got '{Layout}')");
        Require(Epochs >= 1, "epochs", "must be at least 1");
        Require(EvaluationWindows is "served" or "first", "evaluation_windows", $"must be served or first (got '{EvaluationWindows}')");
        Require(BatchSize >= 1, "batch_size", "must be at least 1");
        Require(LearningRate > 0, "lr", "must be positive");
        Require(Optimizer is "sgd" or "adamw", "optimizer", "must be sgd or adamw");
        Require(Scheduler is "step" or "cosine" or "onecycle" or "none", "scheduler", "must be step, cosine, onecycle or none");
        Require(Dropout is >= 0 and < 1, "dropout", "must be in [0, 1)");
        Require(EmaDecay is >= 0 and < 1, "ema_decay", "must be in [0, 1)");
        Require(ValFraction is >= 0 and < 1, "val_fraction", "must be in [0, 1)");
        Require(!TestFolds.Intersect(ValFolds).Any(), "test_folds", "must not include a validation fold");
        Require(StepSize >= 1, "step_size", "must be at least 1");
        Require(Threads >= 1, "threads", "must be at least 1");
        Require(OutlierWeight >= 0, "outlier_weight", "must be ≥ 0");
        Require(OutlierBatch >= 1, "outlier_batch", "must be at least 1");
        foreach (var folder in Outliers)
            Require(Directory.Exists(folder), "outliers", $"folder '{folder}' does not exist");
        Augment.Validate();
        Features.Validate();
        RequireFramesFillTheWindow();
        return this;
    }

    /// <summary>
    /// The service cuts clips into windows of window_seconds and pads or crops each window's features to frames; a new
    /// model whose frames cover much more or less than its window would train on crops of another length than it is
    /// served (the presets are within a frame: 5 s → 216 frames at hop 512, the seed's 3 s → 331 for its 330).
    /// </summary>
    private void RequireFramesFillTheWindow()
    {
        int windowFrames = 1 + Features.WindowSamples / Features.HopLength;
        if (Math.Abs(Features.Frames - windowFrames) > 1)
            throw new ArgumentException(FormattableString.Invariant(
                $"frames {Features.Frames} cover {(Features.Frames - 1) * (double)Features.HopLength / Features.SampleRate:0.###} s at {Features.SampleRate} Hz with hop {Features.HopLength}, but window_seconds is {Features.WindowSeconds} ({windowFrames} frames): give --frames {windowFrames}, or the --window-seconds the frames cover."), "frames");
    }

    private static void Require(bool ok, string field, string message)
    {
        if (!ok)
            throw new ArgumentException($"{field} {message}.", field);
    }
}

/// <summary>Augmentation settings (all off in <see cref="None"/>).</summary>
public sealed record AugmentConfig
{
    /// <summary>Randomly crop long clips and shift short ones in time.</summary>
    [JsonPropertyName("time_shift")] public bool TimeShift { get; init; } = true;
    /// <summary>Rotate a window the clip fills (most ESC-10 clips: 5 s in a 5 s window, where shifting has no room) by a
    /// random number of frames, its end wrapping round to its start.</summary>
    [JsonPropertyName("time_roll")] public bool TimeRoll { get; init; }
    [JsonPropertyName("freq_masks")] public int FreqMasks { get; init; } = 2;
    /// <summary>Widest frequency mask in mel bands. The default, 24 (12 before 2026-11-27, as 1.4.0 was trained), and
    /// time masks up to 40 frames tied the narrower masks in a two-seed honest CV (92.19 % both; docs/esc10-model.md).</summary>
    [JsonPropertyName("freq_mask_width")] public int FreqMaskWidth { get; init; } = 24;
    [JsonPropertyName("time_masks")] public int TimeMasks { get; init; } = 2;
    [JsonPropertyName("time_mask_width")] public int TimeMaskWidth { get; init; } = 40;
    /// <summary>Beta(α, α) mixing of pairs of clips and labels; 0 disables.</summary>
    [JsonPropertyName("mixup_alpha")] public double MixupAlpha { get; init; } = 0.2;
    /// <summary>Random level change of each training clip, uniform in ±this many dB (a shift of its log-mel values,
    /// which is exactly what a gain does to them under the relative top_db floor); 0 disables. The default, 20, kept
    /// ESC-10 accuracy (honest CV 89.7 % vs 89.4 %) and lifted it on clips 20 dB quieter from 79.1 % to 90.6 %.</summary>
    [JsonPropertyName("gain_db")] public double GainDb { get; init; } = 20;
    /// <summary>Random pitch shift of each training clip, uniform in ± this many semitones (its mel bands moved to the
    /// shifted frequencies); 0 disables.</summary>
    [JsonPropertyName("pitch_shift_semitones")] public double PitchShiftSemitones { get; init; }
    /// <summary>Random time stretch of each training clip: played between 1 / (1 + this) and 1 + this times as long
    /// (log-uniform; its frames interpolated, the pitch kept, what the window loses or gains padded as the front end pads
    /// a short clip); 0 disables.</summary>
    [JsonPropertyName("time_stretch")] public double TimeStretch { get; init; }
    /// <summary>Random spectral colouring of each training clip: a smooth gain curve across the mel bands within ± this
    /// many dB (a recording's microphone and room), the coloured clip floored again at its loudest value minus top_db as the front end floors a recording; 0 disables. The default, 10, lifted ESC-10's two-seed honest CV from
    /// 91.4 to 92.2 % (docs/esc10-model.md; the shipped 1.4.0 was trained before it, with 0).</summary>
    [JsonPropertyName("eq_db")] public double EqDb { get; init; } = 10;
    /// <summary>Probability that a training clip gets another random training clip mixed under it (its label kept), at
    /// a signal-to-background ratio uniform in [background_min_snr_db, background_max_snr_db]; 0 disables.</summary>
    [JsonPropertyName("background_probability")] public double BackgroundProbability { get; init; }
    [JsonPropertyName("background_min_snr_db")] public double BackgroundMinSnrDb { get; init; } = 10;
    [JsonPropertyName("background_max_snr_db")] public double BackgroundMaxSnrDb { get; init; } = 20;
    /// <summary>Probability per training batch of frequency-wise MixStyle (<see cref="FreqMixStyle"/>): each clip's
    /// per-band mean and deviation over time mixed with another clip's; 0 disables.</summary>
    [JsonPropertyName("freq_mixstyle_probability")] public double FreqMixStyleProbability { get; init; }
    /// <summary>α of the Beta(α, α) mixing weight of frequency-wise MixStyle (0.3 as in CP-JKU's systems).</summary>
    [JsonPropertyName("freq_mixstyle_alpha")] public double FreqMixStyleAlpha { get; init; } = 0.3;

    public static AugmentConfig None { get; } = new() { TimeShift = false, TimeRoll = false, FreqMasks = 0, TimeMasks = 0, MixupAlpha = 0, GainDb = 0, PitchShiftSemitones = 0, TimeStretch = 0, EqDb = 0, BackgroundProbability = 0, FreqMixStyleProbability = 0 };

    public void Validate()
    {
        if (FreqMasks < 0 || TimeMasks < 0 || FreqMaskWidth < 0 || TimeMaskWidth < 0)
            throw new ArgumentException("augment mask counts and widths must be ≥ 0.", "augment");
        if (MixupAlpha < 0)
            throw new ArgumentException("augment.mixup_alpha must be ≥ 0.", "augment.mixup_alpha");
        if (!(GainDb is >= 0 and <= 60))
            throw new ArgumentException("augment.gain_db must be between 0 and 60.", "augment.gain_db");
        if (!(PitchShiftSemitones is >= 0 and <= 12))
            throw new ArgumentException("augment.pitch_shift_semitones must be between 0 and 12.", "augment.pitch_shift_semitones");
        if (!(TimeStretch is >= 0 and <= 1))
            throw new ArgumentException("augment.time_stretch must be between 0 and 1 (at most twice or half as long).", "augment.time_stretch");
        if (!(EqDb is >= 0 and <= 40))
            throw new ArgumentException("augment.eq_db must be between 0 and 40.", "augment.eq_db");
        if (!(BackgroundProbability is >= 0 and <= 1))
            throw new ArgumentException("augment.background_probability must be between 0 and 1.", "augment.background_probability");
        if (!(FreqMixStyleProbability is >= 0 and <= 1))
            throw new ArgumentException("augment.freq_mixstyle_probability must be between 0 and 1.", "augment.freq_mixstyle_probability");
        if (!(FreqMixStyleAlpha is > 0 and <= 100))
            throw new ArgumentException("augment.freq_mixstyle_alpha must be above 0 and at most 100.", "augment.freq_mixstyle_alpha");
        if (!(BackgroundMinSnrDb is >= -20 and <= 60) || !(BackgroundMaxSnrDb >= BackgroundMinSnrDb && BackgroundMaxSnrDb <= 60))
            throw new ArgumentException("augment.background_min_snr_db ≤ background_max_snr_db, both between -20 and 60.", "augment.background_min_snr_db");
    }
}
