using System.CommandLine;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AudioClassifier.Audio.Decoding;
using AudioClassifier.Cli.Calibration;
using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Export;
using AudioClassifier.Onnx.Inference;
using AudioClassifier.Terminal;

namespace AudioClassifier.Cli.Commands;

/// <summary>
/// <c>audioclf calibrate</c>: fits a model's open-set calibration — the temperature of its probabilities and the
/// threshold below which a sound counts as not recognised — from labelled in-domain clips it was not trained on and
/// out-of-domain clips, and writes a copy carrying it in its contract. Every set is split in two by a hash of the file
/// name: one half fits, the other half reports (rejection rates, AUROC, calibration error), so the figures printed
/// are not measured on what chose them.
/// </summary>
public static class CalibrateCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "An uncalibrated audioclf model (.onnx)." };
        var inDomain = new Option<DirectoryInfo>("--in-domain") { Description = "Labelled clips the model was not trained on: one folder per label ('NNN - Label' or 'Label'), files prefixed 'N-' with their fold.", Required = true };
        var folds = new Option<int[]>("--folds") { Description = "Only these folds of --in-domain (e.g. the validation fold).", AllowMultipleArgumentsPerToken = true };
        var ood = new Option<DirectoryInfo[]>("--ood") { Description = "Folders of out-of-domain clips (none of the model's labels), searched recursively.", Required = true, AllowMultipleArgumentsPerToken = true };
        var exclude = new Option<string?>("--ood-exclude") { Description = "Regular expression on file names to leave out of --ood (e.g. UrbanSound8K dog_bark: '^[0-9]+-3-')." };
        var output = new Option<FileInfo>("--out", "-o") { Description = "Where to write the calibrated model.", Required = true };
        var report = new Option<FileInfo?>("--report") { Description = "Also write the report as JSON here." };
        var command = new Command("calibrate", "Fit a model's temperature and 'not recognised' threshold on held-out in-domain and out-of-domain clips; report on the other half of each.")
            { model, inDomain, folds, ood, exclude, output, report };
        command.SetAction(async (result, ct) =>
        {
            var stdout = result.InvocationConfiguration.Output;
            var stderr = result.InvocationConfiguration.Error;
            var source = result.GetValue(model)!;
            using var engine = LocalEngine.Open(source, stderr);
            if (engine is null)
                return ExitCodes.InvalidArguments;
            if (engine.Contract.OpenSet is not null)
            {
                stderr.WriteLine("error: the model is already calibrated; calibrate the uncalibrated export.");
                return ExitCodes.InvalidArguments;
            }
            var labels = engine.Contract.Labels;
            var wanted = result.GetValue(folds) ?? [];
            var inFiles = LabelledClips.Find(result.GetValue(inDomain)!, labels, wanted).ToList();
            var pattern = result.GetValue(exclude) is { } x ? new Regex(x) : null;
            var oodFiles = result.GetValue(ood)!.SelectMany(d => Directory.EnumerateFiles(d.FullName, "*", SearchOption.AllDirectories))
                .Where(f => LabelledClips.IsAudio(f) && (pattern is null || !pattern.IsMatch(Path.GetFileName(f))))
                .Order(StringComparer.Ordinal).Select(f => (Path: f, Label: -1)).ToList();
            if (inFiles.Count < 20 || oodFiles.Count < 20)
            {
                stderr.WriteLine($"error: {inFiles.Count} in-domain and {oodFiles.Count} out-of-domain clips found; at least 20 of each are needed.");
                return ExitCodes.InvalidArguments;
            }
            var scored = new List<OpenSetFitter.Scored>();
            var progress = new TerminalProgress(stderr, "scoring", inFiles.Count + oodFiles.Count);
            foreach (var (path, label) in inFiles.Concat(oodFiles))
            {
                try
                {
                    await using var stream = File.OpenRead(path);
                    var r = await engine.ClassifyAsync(stream, labels.Count, ct);
                    if (!r.Silent)
                        scored.Add(new OpenSetFitter.Scored(path, r.Probabilities.ToArray(), label));
                }
                catch (AudioDecodeException e)
                {
                    stderr.WriteLine($"{path}: skipped ({e.Message})");
                }
                progress.Report(scored.Count);
            }
            progress.Report(inFiles.Count + oodFiles.Count);

            bool Fits(OpenSetFitter.Scored s) => XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(Path.GetFileName(s.Path))) % 2 == 0;
            var fitIn = scored.Where(s => s.Label >= 0 && Fits(s)).ToList();
            var reportIn = scored.Where(s => s.Label >= 0 && !Fits(s)).ToList();
            var reportOod = scored.Where(s => s.Label < 0 && !Fits(s)).ToList();
            var (temperature, threshold) = OpenSetFitter.Fit(fitIn);
            double Rejected(IEnumerable<OpenSetFitter.Scored> set, double t) => set.Average(s => OpenSetFitter.Score(s, t) < threshold ? 1.0 : 0.0);
            var figures = new
            {
                model = $"{engine.Contract.ModelName} {engine.Contract.ModelVersion}",
                temperature,
                threshold,
                fitted_on = new { in_domain = fitIn.Count, out_of_domain = scored.Count(s => s.Label < 0 && Fits(s)) },
                reported_on = new { in_domain = reportIn.Count, out_of_domain = reportOod.Count },
                in_domain_not_recognised = Math.Round(Rejected(reportIn, temperature), 4),
                out_of_domain_not_recognised = Math.Round(Rejected(reportOod, temperature), 4),
                auroc = Math.Round(OpenSetFitter.Auroc(reportIn.Select(s => OpenSetFitter.Score(s, temperature)).ToList(), reportOod.Select(s => OpenSetFitter.Score(s, temperature)).ToList()), 4),
                in_domain_accuracy = Math.Round(reportIn.Average(s => Array.IndexOf(s.Probabilities, s.Probabilities.Max()) == s.Label ? 1.0 : 0.0), 4),
                ece_before = Math.Round(OpenSetFitter.Ece(reportIn, 1), 4),
                ece_after = Math.Round(OpenSetFitter.Ece(reportIn, temperature), 4),
            };
            var destination = result.GetValue(output)!;
            ContractStamper.Restamp(source.FullName, c => c with { OpenSet = new OpenSetCalibration { Temperature = temperature, Threshold = threshold } }, destination.FullName);
            var json = JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true });
            stdout.WriteLine(json);
            if (result.GetValue(report) is { } file)
                await File.WriteAllTextAsync(file.FullName, json + Environment.NewLine, ct);
            stdout.WriteLine($"calibrated model -> {destination.FullName}");
            return ExitCodes.Success;
        });
        return command;
    }
}
