using System.Globalization;
using System.Text.Json;
using AudioClassifier.Audio.Features;

namespace AudioClassifier.Onnx.Contract;

/// <summary>
/// What a model promises its callers, stored in the ONNX file's metadata_props: the labels in output order and the
/// complete front-end <see cref="FeatureSpec"/> (so serving computes exactly the training features), plus provenance
/// (name, version, dataset, licence and attribution, training date, validation metrics).
/// </summary>
public sealed record ModelContract
{
    public const string Version1 = "1";
    public const string InputName = "log_mel";
    public const string LogitsOutput = "logits";
    public const string ProbabilitiesOutput = "probabilities";
    /// <summary>The pooled features the classification head reads (models exported since 1.2; optional).</summary>
    public const string EmbeddingOutput = "embedding";
    /// <summary>Per window, the cosine similarity of its embedding to the nearest training clip's (added by
    /// <c>audioclf calibrate --reference</c>; the open-set score <see cref="OpenSetCalibration.Scores.TrainingSimilarity"/>).</summary>
    public const string FamiliarityOutput = "familiarity";

    public required IReadOnlyList<string> Labels { get; init; }
    public required FeatureSpec Features { get; init; }
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public string Dataset { get; init; } = "";
    public string DatasetLicense { get; init; } = "";
    public DateTimeOffset TrainedAt { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>Validation metrics as a JSON object (free form: accuracy, per-class, cross-validation...).</summary>
    public string MetricsJson { get; init; } = "{}";
    /// <summary>How to tell sounds the model knows from ones it does not (null: the model was not calibrated).</summary>
    public OpenSetCalibration? OpenSet { get; init; }
    /// <summary>How the weights are stored and computed: one of <see cref="Precisions"/> (models without the key are float32).</summary>
    public string Precision { get; init; } = Precisions.Float32;

    /// <summary>The precisions an audioclf export can have.</summary>
    public static class Precisions
    {
        /// <summary>float32 weights and compute.</summary>
        public const string Float32 = "float32";
        /// <summary>float16 weights (half the file), cast to float32 at load and computed in float32.</summary>
        public const string Float16Weights = "float16-weights";
        /// <summary>int8 QDQ: per-channel int8 weights, uint8 activations calibrated on training clips; ONNX Runtime's
        /// CPU provider fuses it into integer kernels.</summary>
        public const string Int8 = "int8";

        public static IReadOnlyList<string> All { get; } = [Float32, Float16Weights, Int8];
    }

    /// <summary>The metadata_props entries for this contract.</summary>
    public IReadOnlyDictionary<string, string> ToMetadata() => new Dictionary<string, string>
    {
        [Keys.ContractVersion] = Version1,
        [Keys.Labels] = JsonSerializer.Serialize(Labels),
        [Keys.FeatureSpec] = FeatureSpecJson.Serialize(Features),
        [Keys.ModelName] = ModelName,
        [Keys.ModelVersion] = ModelVersion,
        [Keys.Dataset] = Dataset,
        [Keys.DatasetLicense] = DatasetLicense,
        [Keys.TrainedAt] = TrainedAt.ToString("O", CultureInfo.InvariantCulture),
        [Keys.Metrics] = MetricsJson,
        [Keys.Input] = InputName,
        [Keys.Outputs] = $"{LogitsOutput},{ProbabilitiesOutput}",
        [Keys.Precision] = Precision,
    }.Concat(OpenSet is { } o ? [new KeyValuePair<string, string>(Keys.OpenSet, JsonSerializer.Serialize(o))] : []).ToDictionary();

    /// <summary>Reads and validates a contract; a missing or inconsistent one is refused with the reason.</summary>
    public static ModelContract FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        string Get(string key) => metadata.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v)
            ? v
            : throw new ModelContractException($"The model has no '{key}' metadata; it was not exported by audioclf (or its metadata was stripped).");

        if (Get(Keys.ContractVersion) != Version1)
            throw new ModelContractException($"Unsupported contract version '{metadata[Keys.ContractVersion]}' (this build reads version {Version1}).");
        IReadOnlyList<string> labels;
        try
        {
            labels = JsonSerializer.Deserialize<List<string>>(Get(Keys.Labels)) ?? [];
        }
        catch (JsonException e)
        {
            throw new ModelContractException($"'{Keys.Labels}' is not a JSON array of strings: {e.Message}");
        }
        if (labels.Count < 2)
            throw new ModelContractException($"The model declares {labels.Count} label(s); at least 2 are required.");
        if (labels.Any(string.IsNullOrWhiteSpace) || labels.Distinct(StringComparer.Ordinal).Count() != labels.Count)
            throw new ModelContractException("The model's labels must be non-empty and unique.");
        FeatureSpec spec;
        try
        {
            spec = FeatureSpecJson.Deserialize(Get(Keys.FeatureSpec));
        }
        catch (InvalidFeatureSpecException e)
        {
            throw new ModelContractException($"The model's feature spec is invalid: {e.Message}");
        }
        var precision = metadata.GetValueOrDefault(Keys.Precision, Precisions.Float32);
        if (!Precisions.All.Contains(precision))
            throw new ModelContractException($"'{Keys.Precision}' is '{precision}'; this build knows {string.Join(", ", Precisions.All)}.");
        if (!DateTimeOffset.TryParse(Get(Keys.TrainedAt), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var trainedAt))
            throw new ModelContractException($"'{Keys.TrainedAt}' is not a date: {metadata[Keys.TrainedAt]}");
        return new ModelContract
        {
            Labels = labels,
            Features = spec,
            ModelName = Get(Keys.ModelName),
            ModelVersion = Get(Keys.ModelVersion),
            Dataset = metadata.GetValueOrDefault(Keys.Dataset, ""),
            DatasetLicense = metadata.GetValueOrDefault(Keys.DatasetLicense, ""),
            TrainedAt = trainedAt,
            MetricsJson = metadata.GetValueOrDefault(Keys.Metrics, "{}"),
            OpenSet = metadata.TryGetValue(Keys.OpenSet, out var openSet) ? OpenSetCalibration.Parse(openSet) : null,
            Precision = precision,
        };
    }

    public bool Equals(ModelContract? other) =>
        other is not null && Labels.SequenceEqual(other.Labels) && Features == other.Features && ModelName == other.ModelName &&
        ModelVersion == other.ModelVersion && Dataset == other.Dataset && DatasetLicense == other.DatasetLicense &&
        TrainedAt == other.TrainedAt && MetricsJson == other.MetricsJson && Equals(OpenSet, other.OpenSet) && Precision == other.Precision;

    public override int GetHashCode() => HashCode.Combine(ModelName, ModelVersion, Features, Labels.Count);

    /// <summary>metadata_props keys.</summary>
    public static class Keys
    {
        public const string ContractVersion = "audioclf.contract_version";
        public const string Labels = "audioclf.labels";
        public const string FeatureSpec = "audioclf.feature_spec";
        public const string ModelName = "audioclf.model_name";
        public const string ModelVersion = "audioclf.model_version";
        public const string Dataset = "audioclf.dataset";
        public const string DatasetLicense = "audioclf.dataset_license";
        public const string TrainedAt = "audioclf.trained_at";
        public const string Metrics = "audioclf.metrics";
        public const string Input = "audioclf.input";
        public const string Outputs = "audioclf.outputs";
        public const string OpenSet = "audioclf.open_set";
        public const string Precision = "audioclf.precision";
    }
}

/// <summary>Thrown when a model has no contract or an inconsistent one.</summary>
public sealed class ModelContractException(string message) : Exception(message);

/// <summary>
/// Calibrated confidence and the "not recognised" decision, fitted at export: probabilities are softmax(logits / T),
/// i.e. p^(1/T) renormalised, with the temperature T that minimises the validation clips' negative log-likelihood;
/// a clip (or event) is recognised when its <see cref="Score"/> reaches <see cref="Threshold"/>, chosen from
/// in-domain validation clips and out-of-domain clips.
/// </summary>
public sealed record OpenSetCalibration
{
    [System.Text.Json.Serialization.JsonPropertyName("temperature")] public required double Temperature { get; init; }
    [System.Text.Json.Serialization.JsonPropertyName("threshold")] public required double Threshold { get; init; }
    /// <summary>For <see cref="Scores.TrainingSimilarity"/> with a bank of known outliers: a window scores -1 when its
    /// cosine distance to the nearest outlier is below this ratio of its distance to the nearest training clip (null:
    /// no outlier bank).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("outlier_ratio")]
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public double? OutlierRatio { get; init; }

    /// <summary>The score the threshold applies to: one of <see cref="Scores"/>.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("score")] public string Score { get; init; } = Scores.MaxProbability;

    /// <summary>The open-set scores a model can be calibrated on.</summary>
    public static class Scores
    {
        /// <summary>The best calibrated probability (in [0, 1]).</summary>
        public const string MaxProbability = "max_probability";
        /// <summary>The cosine similarity of the clip's embedding to the nearest training clip's (in [-1, 1]; the
        /// graph's <c>familiarity</c> output; -1 where a known outlier is much nearer: <see cref="OutlierRatio"/>):
        /// separates unknown sounds better than probabilities do.</summary>
        public const string TrainingSimilarity = "training_similarity";
    }

    public static OpenSetCalibration Parse(string json)
    {
        OpenSetCalibration? value;
        try
        {
            value = JsonSerializer.Deserialize<OpenSetCalibration>(json);
        }
        catch (JsonException e)
        {
            throw new ModelContractException($"'{ModelContract.Keys.OpenSet}' is not valid: {e.Message}");
        }
        bool valid = value is not null && value.Temperature > 0 && !double.IsInfinity(value.Temperature) && value.Score switch
        {
            Scores.MaxProbability => value.Threshold is >= 0 and <= 1,
            Scores.TrainingSimilarity => value.Threshold is >= -1 and <= 1,
            _ => false,
        };
        if (!valid || value is null)
            throw new ModelContractException($"'{ModelContract.Keys.OpenSet}' needs a positive temperature and a score {Scores.MaxProbability} with a threshold in [0, 1] or {Scores.TrainingSimilarity} with one in [-1, 1] (got {json}).");
        return value;
    }
}
