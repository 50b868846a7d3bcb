using System.CommandLine;
using AudioClassifier.Audio.Features;
using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Export;
using AudioClassifier.Terminal;

namespace AudioClassifier.Cli.Commands;

/// <summary>
/// <c>audioclf contract</c>: inspect an ONNX file (inputs, outputs, its audioclf contract), and stamp a contract onto a
/// classifier trained elsewhere (PyTorch's torch.onnx.export on torchaudio log-mel features) so the service serves it.
/// </summary>
public static class ContractCommand
{
    public static Command Create() => new("contract", "Inspect an ONNX model's contract, or stamp one onto a model trained elsewhere (e.g. in PyTorch).")
    {
        Show(),
        Stamp(),
    };

    private static Command Show()
    {
        var model = new Argument<FileInfo>("model") { Description = "An .onnx file." };
        var command = new Command("show", "Print the model's inputs, outputs and audioclf contract.") { model };
        command.SetAction(result =>
        {
            var stdout = result.InvocationConfiguration.Output;
            var file = result.GetValue(model)!;
            if (!file.Exists)
                return Fail(result, $"{file.FullName} does not exist.", ExitCodes.InvalidArguments);
            OnnxDescription d;
            try
            {
                d = ContractStamper.Describe(file.FullName);
            }
            catch (ContractStampException e)
            {
                return Fail(result, e.Message, ExitCodes.Failure);
            }
            stdout.WriteLine($"{file.Name}: produced by {(d.Producer.Length > 0 ? d.Producer : "unknown")}, opset {d.Opset}");
            foreach (var (name, shape) in d.Inputs)
                stdout.WriteLine($"  input  {name} {shape}");
            foreach (var (name, shape) in d.Outputs)
                stdout.WriteLine($"  output {name} {shape}");
            if (d.Contract is not { } c)
            {
                stdout.WriteLine($"contract: {d.ContractProblem}");
                return d.ContractProblem!.StartsWith("no audioclf contract", StringComparison.Ordinal) ? ExitCodes.Success : ExitCodes.Failure;
            }
            stdout.WriteLine($"contract: {c.ModelName} {c.ModelVersion}, {c.Labels.Count} labels: {string.Join(", ", c.Labels)}");
            stdout.WriteLine($"  features: {FeatureSpecJson.Serialize(c.Features)}");
            stdout.WriteLine($"  dataset: {c.Dataset} ({c.DatasetLicense}), trained {c.TrainedAt:u}");
            stdout.WriteLine($"  precision: {c.Precision}; open-set calibration: {(c.OpenSet is { } o ? $"temperature {o.Temperature:0.###}, threshold {o.Threshold:0.###}" : "none")}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Stamp()
    {
        var model = new Argument<FileInfo>("model") { Description = "The .onnx file to stamp (one float input [batch, 1, n_mels, frames], one logits output [batch, classes])." };
        var output = new Option<FileInfo>("--out", "-o") { Description = "Where to write the stamped model.", Required = true };
        var labels = new Option<FileInfo>("--labels") { Description = "Text file with one label per line, in the order of the model's outputs.", Required = true };
        var name = new Option<string?>("--name") { Description = "Model name (default: the output file's name)." };
        var version = new Option<string>("--version") { Description = "Model version.", DefaultValueFactory = _ => "1.0.0" };
        var dataset = new Option<string>("--dataset") { Description = "What it was trained on.", DefaultValueFactory = _ => "" };
        var license = new Option<string>("--license") { Description = "The training data's licence (carried into the model card and metadata).", DefaultValueFactory = _ => "" };
        var specOptions = new FeatureSpecOptions();
        var command = new Command("stamp", "Write a copy of a model trained elsewhere with an audioclf contract: the labels and the exact log-mel settings it was trained on (a preset and overrides). The graph's input shape is checked against the settings.")
            { model, output, labels, name, version, dataset, license };
        specOptions.AddTo(command);
        command.SetAction(result =>
        {
            var stdout = result.InvocationConfiguration.Output;
            var source = result.GetValue(model)!;
            var labelFile = result.GetValue(labels)!;
            if (!source.Exists)
                return Fail(result, $"{source.FullName} does not exist.", ExitCodes.InvalidArguments);
            if (!labelFile.Exists)
                return Fail(result, $"{labelFile.FullName} does not exist.", ExitCodes.InvalidArguments);
            try
            {
                var destination = result.GetValue(output)!;
                var contract = new ModelContract
                {
                    Labels = File.ReadAllLines(labelFile.FullName).Select(l => l.Trim()).Where(l => l.Length > 0).ToList(),
                    Features = specOptions.Resolve(result),
                    ModelName = result.GetValue(name) ?? Path.GetFileNameWithoutExtension(destination.Name),
                    ModelVersion = result.GetValue(version)!,
                    Dataset = result.GetValue(dataset)!,
                    DatasetLicense = result.GetValue(license)!,
                };
                // Refuse what the service would refuse (too few or repeated labels) before writing anything.
                ModelContract.FromMetadata(contract.ToMetadata());
                ContractStamper.Stamp(source.FullName, contract, destination.FullName);
                stdout.WriteLine($"{source.Name} -> {destination.FullName}: {contract.ModelName} {contract.ModelVersion}, {contract.Labels.Count} labels, input log_mel [batch, 1, {contract.Features.NMels}, {contract.Features.Frames}], outputs logits and probabilities");
                return ExitCodes.Success;
            }
            catch (Exception e) when (e is ContractStampException or ModelContractException or InvalidFeatureSpecException)
            {
                return Fail(result, e.Message, ExitCodes.InvalidArguments);
            }
        });
        return command;
    }

    private static int Fail(ParseResult result, string message, int code)
    {
        result.InvocationConfiguration.Error.WriteLine($"error: {message}");
        return code;
    }
}
