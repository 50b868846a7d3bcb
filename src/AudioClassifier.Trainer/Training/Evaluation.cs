using System.Text.Json.Serialization;

namespace AudioClassifier.Trainer.Training;

/// <summary>Per-class precision, recall and F1 over a confusion matrix.</summary>
public sealed record ClassMetrics(
    [property: JsonPropertyName("class")] string Class,
    [property: JsonPropertyName("precision")] double Precision,
    [property: JsonPropertyName("recall")] double Recall,
    [property: JsonPropertyName("f1")] double F1,
    [property: JsonPropertyName("support")] int Support);

/// <summary>Validation results: loss, accuracy, per-class metrics and the confusion matrix (rows = true class).</summary>
public sealed record Evaluation(
    [property: JsonPropertyName("loss")] double Loss,
    [property: JsonPropertyName("accuracy")] double Accuracy,
    [property: JsonPropertyName("macro_f1")] double MacroF1,
    [property: JsonPropertyName("per_class")] IReadOnlyList<ClassMetrics> PerClass,
    [property: JsonPropertyName("confusion")] int[][] Confusion)
{
    public static Evaluation From(IReadOnlyList<string> classes, IReadOnlyList<int> truth, IReadOnlyList<int> predicted, double totalLoss)
    {
        int n = classes.Count;
        var confusion = Enumerable.Range(0, n).Select(_ => new int[n]).ToArray();
        for (int i = 0; i < truth.Count; i++)
            confusion[truth[i]][predicted[i]]++;
        var perClass = new List<ClassMetrics>();
        for (int c = 0; c < n; c++)
        {
            int tp = confusion[c][c], support = confusion[c].Sum(), predictedC = confusion.Sum(r => r[c]);
            double p = predictedC == 0 ? 0 : (double)tp / predictedC, r = support == 0 ? 0 : (double)tp / support;
            perClass.Add(new ClassMetrics(classes[c], p, r, p + r == 0 ? 0 : 2 * p * r / (p + r), support));
        }
        int correct = Enumerable.Range(0, n).Sum(c => confusion[c][c]);
        int total = truth.Count;
        return new Evaluation(total == 0 ? 0 : totalLoss / total, total == 0 ? 0 : (double)correct / total,
            perClass.Where(m => m.Support > 0).Select(m => m.F1).DefaultIfEmpty(0).Average(), perClass, confusion);
    }
}
