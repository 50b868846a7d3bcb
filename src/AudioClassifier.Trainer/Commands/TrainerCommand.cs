using System.CommandLine;
using AudioClassifier.Audio.Features;
using AudioClassifier.Onnx.Export;
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
        Ensemble(),
        Inputs(),
    };

    /// <summary>Parses and runs <paramref name="args"/>: 0 done, 1 failed (an I/O error, a crash), 2 bad usage — a
    /// command line that does not parse (System.CommandLine's own code for it is 1), a setting, dataset or file that
    /// cannot be used — as <c>audioclf</c> does.</summary>
    public static int Run(string[] args, InvocationConfiguration? configuration = null) =>
        Terminal.CommandLineUsage.Run(Create(), args, configuration);

    private static Command Ensemble()
    {
        var models = new Option<FileInfo[]>("--models") { Description = "Two or more exported models of one contract (e.g. the same recipe with different seeds), not yet calibrated.", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<FileInfo>("--out") { Description = "Output .onnx file (its card, <name>.model-card.md, is written beside it).", Required = true };
        var name = new Option<string?>("--name") { Description = "Model name (default: the first model's)." };
        var version = new Option<string?>("--version") { Description = "Model version (default: the first model's)." };
        // Checked when parsed: a missing notes file would otherwise fail only after the graph was written.
        var metrics = new Option<FileInfo>("--metrics") { Description = "JSON file embedded as the ensemble's metrics (default: {\"members\": [each model's metrics]})." }.AcceptExistingOnly();
        var notes = new Option<FileInfo>("--card-notes") { Description = "Markdown appended to the model's card." }.AcceptExistingOnly();
        var command = new Command("ensemble", "Join exported models into one ONNX graph that averages their probabilities (calibrate it afterwards like any model).")
            { models, output, name, version, metrics, notes };
        command.SetAction(r => Guarded(r, () =>
        {
            var files = r.GetValue(models)!;
            var missing = files.FirstOrDefault(f => !f.Exists);
            if (missing is not null)
                throw new FileNotFoundException($"{missing.FullName} does not exist.");
            var destination = new FileInfo(ModelFile(r.GetValue(output)!));
            try
            {
                var contract = EnsembleGraph.Join(files.Select(f => f.FullName).ToList(), first => first with
                {
                    ModelName = r.GetValue(name) ?? first.ModelName,
                    ModelVersion = r.GetValue(version) ?? first.ModelVersion,
                    MetricsJson = (r.GetValue(metrics) is { } m ? MetricsObject(File.ReadAllText(m.FullName), m.Name) : MembersMetrics(files)).ToJsonString(),
                }, destination.FullName);
                var card = ModelCard.Render(contract, destination.Name) + (r.GetValue(notes) is { } n ? Environment.NewLine + File.ReadAllText(n.FullName) : "");
                File.WriteAllText(ModelCard.PathFor(destination.FullName), card);
                r.InvocationConfiguration.Output.WriteLine($"joined {files.Length} models into {contract.ModelName} {contract.ModelVersion} ({contract.Labels.Count} classes, {contract.Precision}) -> {destination.FullName}");
            }
            catch (ContractStampException e)
            {
                throw new ArgumentException(e.Message, e);
            }
        }));
        return command;
    }

    // {"members": [each model's embedded metrics]}: what was measured of each, not of the ensemble.
    private static System.Text.Json.Nodes.JsonObject MembersMetrics(IEnumerable<FileInfo> files) => new()
    {
        ["members"] = new System.Text.Json.Nodes.JsonArray(files.Select(f => (System.Text.Json.Nodes.JsonNode)MetricsObject(ContractStamper.Describe(f.FullName).Contract?.MetricsJson ?? "{}", f.Name)).ToArray()),
    };

    // Metrics travel in the contract as one compact JSON object; anything else is refused with the file named.
    private static System.Text.Json.Nodes.JsonObject MetricsObject(string json, string source)
    {
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(json) is System.Text.Json.Nodes.JsonObject o
                ? o
                : throw new ArgumentException($"The metrics of {source} are not a JSON object.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ArgumentException($"The metrics of {source} are not valid JSON: {e.Message}");
        }
    }

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
        var output = new Option<FileInfo>("--out") { Description = "Output .onnx file (its card, <name>.model-card.md, is written beside it).", Required = true };
        var name = new Option<string>("--name") { Description = "Model name.", DefaultValueFactory = _ => "audioclf-resnet18" };
        var version = new Option<string>("--version") { Description = "Model version.", DefaultValueFactory = _ => "1.0.0" };
        var dataset = new Option<string?>("--dataset-description") { Description = "Training data description (default: from the run)." };
        var license = new Option<string?>("--license") { Description = "Dataset licence and attribution statement." };
        var attribution = new Option<FileInfo?>("--attribution") { Description = "File copied beside the model as ATTRIBUTION.md (e.g. the dataset's per-clip credits), followed by the ATTRIBUTION.md of each folder the run took outliers from (--outlier-exposure)." };
        var fp16 = new Option<bool>("--fp16") { Description = "Store weights as float16 (half the file; computed in float32)." };
        var metrics = new Option<FileInfo?>("--metrics") { Description = "JSON file embedded as the model's metrics (default: the run's metrics.json), e.g. a cv.json." };
        var notes = new Option<FileInfo?>("--card-notes") { Description = "Markdown appended to the model's card (recipe, results, known limits)." };
        var int8 = new Option<bool>("--int8") { Description = "Statically quantised int8 model (QDQ; per-channel weights; activation ranges calibrated on the run's training clips) for CPUs." };
        var calibrationDataset = new Option<DirectoryInfo?>("--calibration-dataset") { Description = "Where the run's dataset is now, if it moved since training (--int8 calibrates on its training clips)." };
        var ood = new Option<DirectoryInfo[]>("--ood") { Description = "Folders of sounds that are none of the labels: calibrate the export for 'not recognised' (the run's training clips as the similarity bank, its validation/test clips fit the threshold).", AllowMultipleArgumentsPerToken = true };
        var oodExclude = new Option<string?>("--ood-exclude") { Description = "With --ood: regular expression on file names to leave out (e.g. UrbanSound8K dog_bark: '^[0-9]+-3-')." };
        var outliers = new Option<DirectoryInfo[]>("--outliers") { Description = "With --ood: folders of known outliers (scripts/make-outliers.sh) built in as a second bank.", AllowMultipleArgumentsPerToken = true };
        var outlierRatio = new Option<double>("--outlier-ratio") { Description = "With --outliers: reject a window nearer to an outlier than this ratio of its distance to the nearest training clip.", DefaultValueFactory = _ => 0.5 };
        var temperature = new Option<double?>("--temperature") { Description = "With --ood: this temperature instead of fitting one (needed, with --threshold, for a run without held-out clips)." };
        var threshold = new Option<double?>("--threshold") { Description = "With --ood: this similarity threshold instead of fitting one." };
        var command = new Command("export", "Export a run's best checkpoint to ONNX with the feature contract in its metadata.")
            { run, output, name, version, dataset, license, attribution, fp16, metrics, notes, int8, calibrationDataset, ood, oodExclude, outliers, outlierRatio, temperature, threshold };
        command.SetAction(r => Guarded(r, () =>
        {
            var destination = ModelFile(r.GetValue(output)!);
            var oodFolders = r.GetValue(ood) ?? [];
            if (oodFolders.Length == 0 && (r.GetValue(outliers) is { Length: > 0 } || r.GetValue(temperature) is not null || r.GetValue(threshold) is not null || r.GetValue(oodExclude) is not null))
                throw new ArgumentException("--ood-exclude, --outliers, --temperature and --threshold calibrate for 'not recognised': give the out-of-domain folders with --ood.");
            var missing = oodFolders.Concat(r.GetValue(outliers) ?? []).FirstOrDefault(d => !d.Exists);
            if (missing is not null)
                throw new DatasetException($"{missing.FullName} does not exist.");
            var exportOptions = new ExportOptions(r.GetValue(name)!, r.GetValue(version)!, r.GetValue(dataset), r.GetValue(license), r.GetValue(attribution)?.FullName, r.GetValue(fp16),
                r.GetValue(metrics)?.FullName, r.GetValue(notes)?.FullName, r.GetValue(int8), r.GetValue(calibrationDataset)?.FullName);
            if (oodFolders.Length == 0)
            {
                var plain = RunExporter.Export(r.GetValue(run)!.FullName, destination, exportOptions);
                r.InvocationConfiguration.Output.WriteLine($"exported {plain.ModelName} {plain.ModelVersion} ({plain.Labels.Count} classes, {plain.Precision}) -> {destination}");
                return;
            }
            // Checked before the export (which takes minutes for int8); the plain export goes to a staging folder and
            // only the calibrated model, its card and attribution reach the destination's folder.
            var prepared = OpenSetExport.Prepare(r.GetValue(run)!.FullName, new OpenSetExportOptions(oodFolders.Select(d => d.FullName).ToList(), r.GetValue(oodExclude),
                (r.GetValue(outliers) ?? []).Select(d => d.FullName).ToList(), r.GetValue(outlierRatio), r.GetValue(temperature), r.GetValue(threshold)), r.GetValue(calibrationDataset)?.FullName);
            var staging = Directory.CreateTempSubdirectory("audioclf-export-").FullName;
            try
            {
                var exported = Path.Combine(staging, Path.GetFileName(destination));
                var contract = RunExporter.Export(r.GetValue(run)!.FullName, exported, exportOptions);
                var figures = OpenSetExport.Calibrate(prepared, exported, destination, ModelCard.PathFor(exported), r.InvocationConfiguration.Error);
                var folder = Path.GetDirectoryName(Path.GetFullPath(destination))!;
                foreach (var file in new[] { Path.GetFileName(ModelCard.PathFor(exported)), "ATTRIBUTION.md" }.Where(f => File.Exists(Path.Combine(staging, f))))
                    File.Move(Path.Combine(staging, file), Path.Combine(folder, file), overwrite: true);
                r.InvocationConfiguration.Output.WriteLine($"exported {contract.ModelName} {contract.ModelVersion} ({contract.Labels.Count} classes, {contract.Precision}), calibrated -> {destination}");
                r.InvocationConfiguration.Output.WriteLine(figures.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            }
            finally
            {
                Directory.Delete(staging, recursive: true);
            }
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

    /// <summary>The --out path, refused by name when it is a folder (the runtime would only say "access denied").</summary>
    private static string ModelFile(FileInfo output) =>
        Directory.Exists(output.FullName) || output.Name.Length == 0
            ? throw new ArgumentException($"--out {output.FullName} is a folder; give the model's file name, e.g. {Path.Combine(output.FullName, "model.onnx")}.")
            : output.FullName;

    private static int Guarded(ParseResult r, Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is DatasetException or ArgumentException or InvalidFeatureSpecException or FileNotFoundException or InvalidDataException
            or Onnx.Contract.ModelContractException or Calibration.CalibrationException or System.Text.Json.JsonException or CheckpointException)
        {
            r.InvocationConfiguration.Error.WriteLine($"error: {Describe(e)}");
            return 2;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // A folder that cannot be written or created (runs, cache, --out): the path and the reason, not a trace.
            r.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>The message without the runtime's " (Parameter 'x')" suffix: every message names its setting itself.</summary>
    private static string Describe(Exception e) =>
        e is ArgumentException { ParamName: { } name } a ? a.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
}
