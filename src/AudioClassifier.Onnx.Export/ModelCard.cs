using System.Globalization;
using System.Text;
using AudioClassifier.Audio.Features;
using AudioClassifier.Onnx.Contract;

namespace AudioClassifier.Onnx.Export;

/// <summary>The human-readable card written beside every exported model.</summary>
public static class ModelCard
{
    /// <summary>Where the card of <paramref name="modelPath"/> goes: beside it, named after it
    /// (<c>esc10.onnx</c> → <c>esc10.model-card.md</c>), so that several models in one folder keep their own cards.</summary>
    public static string PathFor(string modelPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, Path.GetFileNameWithoutExtension(modelPath) + ".model-card.md");

    public static string Render(ModelContract c, string fileName)
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"# {c.ModelName} {c.ModelVersion}");
        s.AppendLine();
        s.AppendLine(CultureInfo.InvariantCulture, $"File: `{fileName}` (ONNX opset 17, {c.Precision}). Trained {c.TrainedAt:yyyy-MM-dd}.");
        s.AppendLine();
        s.AppendLine("## Interface");
        s.AppendLine(CultureInfo.InvariantCulture, $"- Input `{ModelContract.InputName}`: float32 `[batch, 1, {c.Features.NMels}, {c.Features.Frames}]` log-mel (dB) from the audioclf front end.");
        s.AppendLine(CultureInfo.InvariantCulture, $"- Outputs `{ModelContract.LogitsOutput}` and `{ModelContract.ProbabilitiesOutput}` (softmax): `[batch, {c.Labels.Count}]`; `{ModelContract.EmbeddingOutput}`: the pooled features the head reads.");
        if (c.OpenSet?.Score == OpenSetCalibration.Scores.TrainingSimilarity)
            s.AppendLine(CultureInfo.InvariantCulture, $"- Output `{ModelContract.FamiliarityOutput}` `[batch]`: cosine similarity of the embedding to the nearest training clip's.");
        s.AppendLine(CultureInfo.InvariantCulture, $"- Clips longer than {c.Features.WindowSeconds} s are scored in windows every {c.Features.WindowHopSeconds} s and averaged.");
        s.AppendLine();
        s.AppendLine("## Labels (output order)");
        for (int i = 0; i < c.Labels.Count; i++)
            s.AppendLine(CultureInfo.InvariantCulture, $"{i}. {c.Labels[i]}");
        s.AppendLine();
        s.AppendLine("## Feature spec (embedded in the model's metadata)");
        s.AppendLine("```json");
        s.AppendLine(FeatureSpecJson.Serialize(c.Features, indented: true));
        s.AppendLine("```");
        s.AppendLine();
        s.AppendLine("## Training data");
        s.AppendLine(c.Dataset.Length > 0 ? c.Dataset : "(not recorded)");
        s.AppendLine();
        s.AppendLine("## Licence and attribution");
        s.AppendLine(c.DatasetLicense.Length > 0 ? c.DatasetLicense : "(not recorded)");
        s.AppendLine();
        if (c.OpenSet is { } o)
        {
            s.AppendLine("## Open set (\"not recognised\")");
            s.AppendLine(CultureInfo.InvariantCulture, $"Probabilities are calibrated with temperature {o.Temperature:0.####}. A sound is recognised when its {(o.Score == OpenSetCalibration.Scores.TrainingSimilarity ? "mean similarity to the nearest training clip (cosine of embeddings, over the windows that hold sound)" : "best calibrated probability")} reaches {o.Threshold:0.######}{(o.OutlierRatio is { } r ? $" (a window whose cosine distance to the nearest known outlier — synthetic noise, tones, speech — is below {r:0.###} × its distance to the nearest training clip scores -1)" : "")}; below it the answer says `recognised: false` and still names the closest label. Measured rates are under `open_set` in the metrics below.");
            s.AppendLine();
        }
        s.AppendLine("## Validation metrics");
        s.AppendLine("```json");
        s.AppendLine(c.MetricsJson);
        s.AppendLine("```");
        return s.ToString();
    }
}
