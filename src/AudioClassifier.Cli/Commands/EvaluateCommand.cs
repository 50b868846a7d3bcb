using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using AudioClassifier.Audio.Decoding;
using AudioClassifier.Onnx.Inference;
using AudioClassifier.Terminal;

namespace AudioClassifier.Cli.Commands;

/// <summary>
/// <c>audioclf evaluate</c>: the accuracy of an exported model's top label on labelled clips through the production path
/// (decode, front end, ONNX Runtime, windows averaged), so an int8 or fp16 export is judged as it will be served; the
/// open-set decision (<c>recognised</c>) is not part of this figure (<c>audioclf calibrate</c> reports it).
/// </summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "An audioclf model (.onnx)." };
        var dataset = new Option<DirectoryInfo>("--dataset") { Description = "Labelled clips: one folder per label ('NNN - Label' or 'Label'), files prefixed 'N-' with their fold.", Required = true }.AcceptExistingOnly();
        var folds = new Option<int[]>("--folds") { Description = "Only these folds (e.g. the fold the model was not trained on).", AllowMultipleArgumentsPerToken = true };
        var threads = new Option<int?>("--threads") { Description = "ONNX Runtime intra-op threads (default: all cores)." };
        var gain = new Option<double>("--gain-db") { Description = "Play every clip this many dB louder (negative: quieter, -120 to 40) before classifying: level robustness." };
        gain.Validators.Add(r => { if (r.GetValueOrDefault<double>() is < -120 or > 40) r.AddError("--gain-db must be between -120 and 40 dB."); });
        var report = new Option<FileInfo?>("--report") { Description = "Also write the figures as JSON here." };
        var command = new Command("evaluate", "Accuracy and per-class recall of a model on labelled clips, through the service's own path.") { model, dataset, folds, threads, gain, report };
        command.SetAction(async (result, ct) =>
        {
            var stdout = result.InvocationConfiguration.Output;
            var stderr = result.InvocationConfiguration.Error;
            using var engine = LocalEngine.Open(result.GetValue(model)!, stderr, result.GetValue(threads));
            if (engine is null)
                return ExitCodes.InvalidArguments;
            var labels = engine.Contract.Labels;
            List<(string Path, int Label)> clips;
            try
            {
                clips = LabelledClips.Find(result.GetValue(dataset)!, labels, result.GetValue(folds) ?? []).ToList();
            }
            catch (ArgumentException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                return ExitCodes.InvalidArguments;
            }
            if (clips.Count == 0)
            {
                stderr.WriteLine("error: no clips found for those folds.");
                return ExitCodes.InvalidArguments;
            }
            var confusion = new int[labels.Count, labels.Count];
            int correct = 0, silent = 0, undecodable = 0;
            var inference = TimeSpan.Zero;
            var progress = new TerminalProgress(stderr, "evaluating", clips.Count);
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < clips.Count; i++)
            {
                var (path, label) = clips[i];
                try
                {
                    await using var stream = File.OpenRead(path);
                    var clip = await AudioDecoder.DecodeAsync(stream, null, ct);
                    if (result.GetValue(gain) is var db and not 0)
                        System.Numerics.Tensors.TensorPrimitives.Multiply(clip.Samples, (float)Math.Pow(10, db / 20), clip.Samples);
                    var r = await engine.ClassifyAsync(clip, labels.Count, ct);
                    inference += r.InferenceTime;
                    if (r.Silent || r.Top is null)
                        silent++;
                    else
                    {
                        int predicted = labels.ToList().IndexOf(r.Top.Label);
                        confusion[label, predicted]++;
                        correct += predicted == label ? 1 : 0;
                    }
                }
                catch (AudioDecodeException e)
                {
                    undecodable++;
                    stderr.WriteLine($"{path}: not decodable ({e.Message}), counted as wrong");
                }
                progress.Report(i + 1, $"accuracy {(double)correct / (i + 1):P1}");
            }
            var figures = new
            {
                model = $"{engine.Contract.ModelName} {engine.Contract.ModelVersion}",
                precision = engine.Contract.Precision,
                folds = result.GetValue(folds) ?? [],
                gain_db = result.GetValue(gain),
                clips = clips.Count,
                accuracy = Math.Round((double)correct / clips.Count, 4),
                silent,
                undecodable,
                class_recall = labels.Select((l, c) => new { label = l, clips = clips.Count(x => x.Label == c), recall = Math.Round(Recall(confusion, c, clips.Count(x => x.Label == c)), 4) }),
                inference_ms_per_clip = Math.Round(inference.TotalMilliseconds / clips.Count, 2),
                seconds = Math.Round(watch.Elapsed.TotalSeconds, 1),
            };
            var json = JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true });
            stdout.WriteLine(json);
            if (result.GetValue(report) is { } file)
                await File.WriteAllTextAsync(file.FullName, json + Environment.NewLine, ct);
            return ExitCodes.Success;
        });
        return command;
    }

    private static double Recall(int[,] confusion, int label, int clips) => clips == 0 ? 0 : (double)confusion[label, label] / clips;
}
