using System.CommandLine;
using AudioClassifier.Audio.Features;
using AudioClassifier.Trainer.Data;
using AudioClassifier.Trainer.Training;

namespace AudioClassifier.Trainer.Commands;

/// <summary>The root of <c>audioclf-train</c>: <c>train</c> one model, or <c>cv</c> for fold-wise cross-validation.</summary>
public static class TrainerCommand
{
    public static RootCommand Create() => new("audioclf-train: fine-tune ResNet18 on log-mel spectrograms (TorchSharp).")
    {
        Train(),
        CrossValidate(),
    };

    private static Command Train()
    {
        var options = new TrainingOptions();
        var command = new Command("train", "Train one model and track the run (config, metrics, checkpoint, TensorBoard).");
        options.AddTo(command);
        command.SetAction(r => Guarded(r, () =>
        {
            var result = new ModelTrainer(options.Resolve(r), r.InvocationConfiguration.Error).Run();
            r.InvocationConfiguration.Output.WriteLine(result.Best is null
                ? $"trained {result.EpochTrainLoss.Count} epochs; run: {result.RunDirectory}"
                : FormattableString.Invariant($"best validation accuracy {result.Best.Accuracy:P2} at epoch {result.BestEpoch}; run: {result.RunDirectory}"));
        }));
        return command;
    }

    private static Command CrossValidate()
    {
        var options = new TrainingOptions();
        var command = new Command("cv", "Train one model per held-out fold and report mean ± std accuracy.");
        options.AddTo(command);
        command.SetAction(r => Guarded(r, () =>
        {
            var summary = new CrossValidator(options.Resolve(r), r.InvocationConfiguration.Error).Run();
            r.InvocationConfiguration.Output.WriteLine(summary.ToText());
        }));
        return command;
    }

    private static int Guarded(ParseResult r, Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is DatasetException or ArgumentException or InvalidFeatureSpecException or FileNotFoundException or InvalidDataException)
        {
            r.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
