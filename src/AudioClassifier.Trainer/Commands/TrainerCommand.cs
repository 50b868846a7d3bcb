using System.CommandLine;
using AudioClassifier.Audio.Features;
using AudioClassifier.Trainer.Data;
using AudioClassifier.Trainer.Model;
using AudioClassifier.Trainer.Training;

namespace AudioClassifier.Trainer.Commands;

/// <summary>The root of <c>audioclf-train</c>: <c>train</c> one model, or <c>cv</c> for fold-wise cross-validation.</summary>
public static class TrainerCommand
{
    public static RootCommand Create() => new("audioclf-train: fine-tune ResNet18 on log-mel spectrograms (TorchSharp).")
    {
        Train(),
        CrossValidate(),
        Export(),
        Inputs(),
    };

    private static Command Inputs()
    {
        var options = new TrainingOptions();
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for inputs.npy, labels.npy, folds.npy, classes.txt, files.txt.", Required = true };
        var command = new Command("inputs", "Write a dataset's model inputs (as training sees them without augmentation) as .npy, to train the same data elsewhere (e.g. PyTorch).") { output };
        options.AddTo(command);
        command.SetAction(r => Guarded(r, () =>
        {
            int clips = ModelInputsWriter.Write(options.Resolve(r), r.GetValue(output)!.FullName, r.InvocationConfiguration.Error);
            r.InvocationConfiguration.Output.WriteLine($"{clips} clips -> {r.GetValue(output)!.FullName}");
        }));
        return command;
    }

    private static Command Export()
    {
        var run = new Option<DirectoryInfo>("--run") { Description = "Training run directory (with config.json and best.dat).", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "Output .onnx file (model-card.md is written beside it).", Required = true };
        var name = new Option<string>("--name") { Description = "Model name.", DefaultValueFactory = _ => "audioclf-resnet18" };
        var version = new Option<string>("--version") { Description = "Model version.", DefaultValueFactory = _ => "1.0.0" };
        var dataset = new Option<string?>("--dataset-description") { Description = "Training data description (default: from the run)." };
        var license = new Option<string?>("--license") { Description = "Dataset licence and attribution statement." };
        var attribution = new Option<FileInfo?>("--attribution") { Description = "File copied beside the model as ATTRIBUTION.md (e.g. the dataset's per-clip credits)." };
        var fp16 = new Option<bool>("--fp16") { Description = "Store weights as float16 (half the file; computed in float32)." };
        var metrics = new Option<FileInfo?>("--metrics") { Description = "JSON file embedded as the model's metrics (default: the run's metrics.json), e.g. a cv.json." };
        var notes = new Option<FileInfo?>("--card-notes") { Description = "Markdown appended to model-card.md (recipe, results, known limits)." };
        var int8 = new Option<bool>("--int8") { Description = "Statically quantised int8 model (QDQ; per-channel weights; activation ranges calibrated on the run's training clips) for CPUs." };
        var calibrationDataset = new Option<DirectoryInfo?>("--calibration-dataset") { Description = "Where the run's dataset is now, if it moved since training (--int8 calibrates on its training clips)." };
        var command = new Command("export", "Export a run's best checkpoint to ONNX with the feature contract in its metadata.")
            { run, output, name, version, dataset, license, attribution, fp16, metrics, notes, int8, calibrationDataset };
        command.SetAction(r => Guarded(r, () =>
        {
            var contract = RunExporter.Export(r.GetValue(run)!.FullName, r.GetValue(output)!.FullName,
                new ExportOptions(r.GetValue(name)!, r.GetValue(version)!, r.GetValue(dataset), r.GetValue(license), r.GetValue(attribution)?.FullName, r.GetValue(fp16),
                    r.GetValue(metrics)?.FullName, r.GetValue(notes)?.FullName, r.GetValue(int8), r.GetValue(calibrationDataset)?.FullName));
            r.InvocationConfiguration.Output.WriteLine($"exported {contract.ModelName} {contract.ModelVersion} ({contract.Labels.Count} classes, {contract.Precision}) -> {r.GetValue(output)!.FullName}");
        }));
        return command;
    }

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
        catch (Exception e) when (e is DatasetException or ArgumentException or InvalidFeatureSpecException or FileNotFoundException or InvalidDataException or Onnx.Contract.ModelContractException)
        {
            r.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
