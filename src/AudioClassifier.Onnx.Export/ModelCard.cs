using System.Globalization;
using System.Text;
using AudioClassifier.Audio.Features;
using AudioClassifier.Onnx.Contract;

namespace AudioClassifier.Onnx.Export;

/// <summary>The human-readable card written beside every exported model.</summary>
public static class ModelCard
{
    public static string Render(ModelContract c, string fileName)
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"# {c.ModelName} {c.ModelVersion}");
        s.AppendLine();
        s.AppendLine(CultureInfo.InvariantCulture, $"File: `{fileName}` (ONNX opset 17, {c.Precision}). Trained {c.TrainedAt:yyyy-MM-dd}.");
        s.AppendLine();
        s.AppendLine("## Interface");
        s.AppendLine(CultureInfo.InvariantCulture, $"- Input `{ModelContract.InputName}`: float32 `[batch, 1, {c.Features.NMels}, {c.Features.Frames}]` log-mel (dB) from the audioclf front end.");
        s.AppendLine(CultureInfo.InvariantCulture, $"- Outputs `{ModelContract.LogitsOutput}` and `{ModelContract.ProbabilitiesOutput}` (softmax): `[batch, {c.Labels.Count}]`.");
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
        s.AppendLine("## Validation metrics");
        s.AppendLine("```json");
        s.AppendLine(c.MetricsJson);
        s.AppendLine("```");
        return s.ToString();
    }
}
