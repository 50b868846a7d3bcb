using System.CommandLine;
using System.Globalization;
using System.Text;
using AudioClassifier.Audio.Decoding;
using AudioClassifier.Calibration;
using AudioClassifier.Client;
using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Inference;
using AudioClassifier.Terminal;

namespace AudioClassifier.Cli.Commands;

/// <summary>
/// <c>audioclf classify</c>: classifies a file or every audio file under a folder with a local ONNX model, printing
/// or writing <c>path,label,score</c> plus top-k columns; folders show a progress bar.
/// </summary>
public static class ClassifyCommand
{

    public static Command Create()
    {
        var input = new Argument<string>("file-or-folder") { Description = "Audio file, or folder searched recursively for .wav/.mp3/.ogg." };
        var model = new Option<FileInfo?>("--model", "-m") { Description = $"Exported .onnx model (default: $AUDIOCLF_MODEL or models/{DefaultModel.FileName})." };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Write CSV here instead of printing it." };
        var topK = new Option<int>("--top-k", "-k") { Description = "Labels per clip.", DefaultValueFactory = _ => 1 };
        var provider = new Option<ExecutionProviderPreference>("--provider") { Description = "auto, cuda or cpu.", DefaultValueFactory = _ => ExecutionProviderPreference.Auto };
        var url = new Option<string?>("--url") { Description = "Use a running service (e.g. http://localhost:8080) through the .NET client instead of a local model." };
        var apiKey = new Option<string?>("--api-key") { Description = "API key for --url (or $AUDIOCLF_API_KEY)." };
        var format = new Option<string>("--format") { Description = "csv or json.", DefaultValueFactory = _ => "csv" };
        var command = new Command("classify", "Classify audio files with an exported model or a running service.") { input, model, output, topK, provider, url, apiKey, format };
        command.SetAction(async (r, ct) =>
        {
            var stderr = r.InvocationConfiguration.Error;
            var target = r.GetValue(input)!;
            var files = Directory.Exists(target)
                ? AudioFiles.Under([target])
                : File.Exists(target) ? [target] : null;
            if (files is null)
            {
                stderr.WriteLine($"error: {target} does not exist.");
                return ExitCodes.InvalidArguments;
            }
            int k = r.GetValue(topK);
            string fmt = r.GetValue(format)!.ToLowerInvariant();
            if (k < 1 || fmt is not ("csv" or "json"))
            {
                stderr.WriteLine(k < 1 ? $"error: --top-k must be at least 1 (got {k})." : $"error: --format must be csv or json (got '{fmt}').");
                return ExitCodes.InvalidArguments;
            }
            IClipClassifier classifier;
            try
            {
                classifier = r.GetValue(url) is { } service
                    ? new RemoteClipClassifier(
                        Uri.TryCreate(service, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : throw new ArgumentException($"--url '{service}' is not an http(s) address."),
                        r.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("AUDIOCLF_API_KEY"))
                    : LocalClipClassifier.Create(r.GetValue(model)?.FullName ?? DefaultModel.Find(), r.GetValue(provider));
            }
            catch (Exception e) when (e is ModelLoadException or ModelContractException or ExecutionProviderUnavailableException or ArgumentException)
            {
                stderr.WriteLine($"error: {e.Message}");
                return ExitCodes.InvalidArguments;
            }
            using (classifier)
            {
                var rows = new List<PredictionRow>();
                var progress = files.Count > 1 ? new TerminalProgress(stderr, "classifying", files.Count) : null;
                int failures = 0;
                string? stopped = null;
                for (int i = 0; i < files.Count; i++)
                {
                    if (stopped is null)
                    {
                        try
                        {
                            var prediction = await classifier.ClassifyAsync(files[i], k, ct);
                            rows.Add(new PredictionRow(files[i], prediction.TopK) { Silent = prediction.Silent, Events = prediction.Events, Decision = prediction });
                        }
                        catch (ClipFailedException e)
                        {
                            failures++;
                            rows.Add(new PredictionRow(files[i], [], e.Message));
                            stderr.WriteLine($"{files[i]}: {e.Message}");
                        }
                        catch (AudioClassifierException e)
                        {
                            // Not about this clip (unauthorised, unavailable, circuit open): stop sending.
                            stderr.WriteLine($"error: {e.Message}");
                            stopped = e.Message;
                        }
                    }
                    if (stopped is not null)
                    {
                        // The service refused the batch (unauthorised, overloaded past the retries, circuit open): this
                        // clip and the ones not sent are listed as such, and everything classified before is still written.
                        failures++;
                        rows.Add(new PredictionRow(files[i], [], $"not classified: {stopped}"));
                    }
                    progress?.Report(i + 1, failures > 0 ? $"{failures} failed" : "");
                }
                string text = fmt == "json" ? PredictionWriter.Json(rows) : PredictionWriter.Csv(rows, k);
                if (r.GetValue(output) is { } file)
                {
                    await File.WriteAllTextAsync(file.FullName, text, ct);
                    r.InvocationConfiguration.Output.WriteLine($"{rows.Count - failures} clip(s) classified by {classifier.Description}{(failures > 0 ? $", {failures} failed" : "")} -> {file.FullName}");
                }
                else
                {
                    r.InvocationConfiguration.Output.Write(text);
                }
                return stopped is not null ? ExitCodes.Failure : failures == 0 ? ExitCodes.Success : ExitCodes.BadAudio;
            }
        });
        return command;
    }
}
