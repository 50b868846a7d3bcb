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
/// out-of-domain clips, and writes a copy carrying it in its contract. With <c>--reference</c> (the clips the model
/// was trained on) the score is the similarity to the nearest training clip, built into the graph
/// (<see cref="TrainingSimilarityGraph"/>); otherwise the best calibrated probability. Every set is split in two by a
/// hash of the file name: one half fits, the other half reports (rejection rates, AUROC, calibration error), so the
/// figures printed are not measured on what chose them. A model with no unseen in-domain clips (trained on all of
/// them) takes the temperature and threshold measured on models of the same recipe (<c>--temperature --threshold</c>).
/// </summary>
public static class CalibrateCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "An uncalibrated audioclf model (.onnx)." };
        var inDomain = new Option<DirectoryInfo?>("--in-domain") { Description = "Labelled clips the model was not trained on: one folder per label ('NNN - Label' or 'Label'), files prefixed 'N-' with their fold. Needed unless --temperature and --threshold are both given." };
        var folds = new Option<int[]>("--folds") { Description = "Only these folds of --in-domain (e.g. the validation fold).", AllowMultipleArgumentsPerToken = true };
        var ood = new Option<DirectoryInfo[]>("--ood") { Description = "Folders of out-of-domain clips (none of the model's labels), searched recursively.", Required = true, AllowMultipleArgumentsPerToken = true };
        var exclude = new Option<string?>("--ood-exclude") { Description = "Regular expression on file names to leave out of --ood (e.g. UrbanSound8K dog_bark: '^[0-9]+-3-')." };
        var reference = new Option<DirectoryInfo?>("--reference") { Description = "The labelled clips the model was trained on: the score becomes the similarity to the nearest of them (built into the model), which tells unknown sounds apart better than probabilities." };
        var referenceFolds = new Option<int[]>("--reference-folds") { Description = "Only these folds of --reference (the training folds).", AllowMultipleArgumentsPerToken = true };
        var outliers = new Option<DirectoryInfo[]>("--outliers") { Description = "With --reference: folders of known outliers (e.g. scripts/make-outliers.sh: noise, tones, speech), built in as a second bank; a sound whose distance to the nearest of them is below --outlier-ratio times its distance to the nearest training clip is not recognised. Never the clips the figures are reported on.", AllowMultipleArgumentsPerToken = true };
        var outlierRatio = new Option<double>("--outlier-ratio") { Description = "A window is rejected by the outlier bank when its cosine distance to the nearest known outlier is below this ratio of its distance to the nearest training clip.", DefaultValueFactory = _ => 0.5 };
        var temperatureOption = new Option<double?>("--temperature") { Description = "Use this temperature instead of fitting one (e.g. the mean of cross-validation models of the same recipe)." };
        var thresholdOption = new Option<double?>("--threshold") { Description = "Use this threshold instead of fitting one." };
        var output = new Option<FileInfo>("--out", "-o") { Description = "Where to write the calibrated model.", Required = true };
        var report = new Option<FileInfo?>("--report") { Description = "Also write the report as JSON here." };
        var card = new Option<FileInfo?>("--card") { Description = "The source model's model-card.md: rewritten for the calibrated model (open-set section and metrics), its hand-written notes kept." };
        var scoresFile = new Option<FileInfo?>("--scores") { Description = "Also write every clip's scores as CSV here (path, label, set, score, best probability), e.g. to pool thresholds over cross-validation models." };
        var command = new Command("calibrate", "Fit a model's temperature and 'not recognised' threshold on held-out in-domain and out-of-domain clips; report on the other half of each.")
            { model, inDomain, folds, ood, exclude, reference, referenceFolds, outliers, outlierRatio, temperatureOption, thresholdOption, output, report, scoresFile, card };
        command.SetAction(async (result, ct) =>
        {
            var stdout = result.InvocationConfiguration.Output;
            var stderr = result.InvocationConfiguration.Error;
            var source = result.GetValue(model)!;
            double? givenTemperature = result.GetValue(temperatureOption), givenThreshold = result.GetValue(thresholdOption);
            bool fitting = givenTemperature is null || givenThreshold is null;
            if (fitting && result.GetValue(inDomain) is null)
            {
                stderr.WriteLine("error: --in-domain is needed to fit the temperature or the threshold (or give both --temperature and --threshold).");
                return ExitCodes.InvalidArguments;
            }
            bool withReference = result.GetValue(reference) is not null;
            if (givenTemperature is { } gt && !(double.IsFinite(gt) && gt > 0)
                || givenThreshold is { } gh && !(double.IsFinite(gh) && gh <= 1 && gh >= (withReference ? -1 : 0))
                || result.GetValue(outlierRatio) is var ratioValue && !(double.IsFinite(ratioValue) && ratioValue is >= 0 and <= 10))
            {
                stderr.WriteLine("error: --temperature must be positive, --threshold in [0, 1] (a probability; in [-1, 1] with --reference: a similarity) and --outlier-ratio in [0, 10].");
                return ExitCodes.InvalidArguments;
            }
            var outlierDirs = result.GetValue(outliers) ?? [];
            if (outlierDirs.Length > 0 && result.GetValue(reference) is null)
            {
                stderr.WriteLine("error: --outliers needs --reference (the outlier bank is compared with the training bank).");
                return ExitCodes.InvalidArguments;
            }
            using var original = LocalEngine.Open(source, stderr);
            if (original is null)
                return ExitCodes.InvalidArguments;
            if (original.Contract.OpenSet is not null)
            {
                stderr.WriteLine("error: the model is already calibrated; calibrate the uncalibrated export.");
                return ExitCodes.InvalidArguments;
            }
            var labels = original.Contract.Labels;
            var inFiles = result.GetValue(inDomain) is { } inDir ? LabelledClips.Find(inDir, labels, result.GetValue(folds) ?? []).ToList() : [];
            var pattern = result.GetValue(exclude) is { } x ? new Regex(x) : null;
            var oodFiles = result.GetValue(ood)!.SelectMany(d => Directory.EnumerateFiles(d.FullName, "*", SearchOption.AllDirectories))
                .Where(f => LabelledClips.IsAudio(f) && (pattern is null || !pattern.IsMatch(Path.GetFileName(f))))
                .Order(StringComparer.Ordinal).Select(f => (Path: f, Label: -1)).ToList();
            if ((fitting && inFiles.Count < 20) || oodFiles.Count < 20)
            {
                stderr.WriteLine($"error: {inFiles.Count} in-domain and {oodFiles.Count} out-of-domain clips found; at least 20 of each are needed.");
                return ExitCodes.InvalidArguments;
            }

            // With --reference, the scoring model is the original plus its training bank (contract placeholders until fitted).
            string? withBank = null;
            int bankSize = 0, outlierBankSize = 0;
            double? ratio = null;
            if (result.GetValue(reference) is { } referenceDir)
            {
                var referenceFiles = LabelledClips.Find(referenceDir, labels, result.GetValue(referenceFolds) ?? []).ToList();
                // Held-out clips in the bank would score ~1 and drag the fitted threshold up to reject nearly everything new.
                var overlap = referenceFiles.Select(f => f.Path).Intersect(inFiles.Select(f => f.Path)).Count();
                if (overlap > 0)
                {
                    stderr.WriteLine($"error: {overlap} clip(s) are both --reference (the bank) and --in-domain (held out); give the training folds with --reference-folds and the held-out ones with --folds.");
                    return ExitCodes.InvalidArguments;
                }
                var outlierFiles = outlierDirs.SelectMany(d => Directory.EnumerateFiles(d.FullName, "*", SearchOption.AllDirectories))
                    .Where(LabelledClips.IsAudio).Order(StringComparer.Ordinal).ToList();
                List<float[]> bank, outlierBank;
                try
                {
                    using var reader = new EmbeddingReader(original);
                    bank = Embed(reader, referenceFiles.Select(f => f.Path).ToList(), "training clips", stderr, ct);
                    outlierBank = Embed(reader, outlierFiles, "known outliers", stderr, ct);
                }
                catch (ModelContractException e)
                {
                    stderr.WriteLine($"error: {e.Message}");
                    return ExitCodes.InvalidArguments;
                }
                if (outlierDirs.Length > 0 && outlierBank.Count == 0)
                {
                    stderr.WriteLine("error: --outliers gave no sounding clips.");
                    return ExitCodes.InvalidArguments;
                }
                if (bank.Count == 0)
                {
                    stderr.WriteLine($"error: no sounding clips under {referenceDir.FullName}.");
                    return ExitCodes.InvalidArguments;
                }
                bankSize = bank.Count;
                outlierBankSize = outlierBank.Count;
                ratio = outlierBank.Count > 0 ? result.GetValue(outlierRatio) : null;
                withBank = Path.Combine(Path.GetTempPath(), $"audioclf-calibrate-{Guid.NewGuid():N}.onnx");
                TrainingSimilarityGraph.Add(source.FullName, bank, outlierBank, ratio ?? 0,
                    c => c with { OpenSet = new OpenSetCalibration { Temperature = 1, Threshold = -1, Score = OpenSetCalibration.Scores.TrainingSimilarity, OutlierRatio = ratio } }, withBank);
            }
            try
            {
                using var scoringEngine = withBank is null ? null : LocalEngine.Open(new FileInfo(withBank), stderr);
                if (withBank is not null && scoringEngine is null)
                    return ExitCodes.InvalidArguments;
                var engine = scoringEngine ?? original;
                var scored = new List<OpenSetFitter.Scored>();
                var progress = new TerminalProgress(stderr, "scoring", inFiles.Count + oodFiles.Count);
                int done = 0;
                foreach (var (path, label) in inFiles.Concat(oodFiles))
                {
                    try
                    {
                        await using var stream = File.OpenRead(path);
                        var r = await engine.ClassifyAsync(stream, labels.Count, ct);
                        if (!r.Silent)
                            scored.Add(new OpenSetFitter.Scored(path, r.Probabilities.ToArray(), label, withBank is null ? null : r.RecognitionScore));
                    }
                    catch (AudioDecodeException e)
                    {
                        stderr.WriteLine($"{path}: skipped ({e.Message})");
                    }
                    progress.Report(++done);
                }

                // Fitting splits every set in two by file name; with nothing to fit, every clip reports.
                bool Fits(OpenSetFitter.Scored s) => fitting && XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(Path.GetFileName(s.Path))) % 2 == 0;
                var fitIn = scored.Where(s => s.Label >= 0 && Fits(s)).ToList();
                var reportIn = scored.Where(s => s.Label >= 0 && !Fits(s)).ToList();
                var reportOod = scored.Where(s => s.Label < 0 && !Fits(s)).ToList();
                if (fitting && fitIn.Count == 0)
                {
                    stderr.WriteLine("error: no in-domain clip was left to fit on (all silent or undecodable).");
                    return ExitCodes.InvalidArguments;
                }
                double temperature = givenTemperature ?? OpenSetFitter.FitTemperature(fitIn);
                double threshold = givenThreshold ?? OpenSetFitter.FitThreshold(fitIn.Select(s => s.OpenSetScore(temperature)).ToList());
                var calibration = new OpenSetCalibration
                {
                    Temperature = temperature,
                    Threshold = threshold,
                    Score = withBank is null ? OpenSetCalibration.Scores.MaxProbability : OpenSetCalibration.Scores.TrainingSimilarity,
                    OutlierRatio = ratio,
                };
                double Rejected(IEnumerable<OpenSetFitter.Scored> set) => set.DefaultIfEmpty().Average(s => s is not null && s.OpenSetScore(temperature) < threshold ? 1.0 : 0.0);
                double? Auroc(Func<OpenSetFitter.Scored, double> score) => reportIn.Count == 0 || reportOod.Count == 0 ? null
                    : Math.Round(OpenSetFitter.Auroc(reportIn.Select(score).ToList(), reportOod.Select(score).ToList()), 4);
                double? InDomain(Func<List<OpenSetFitter.Scored>, double> measure) => reportIn.Count == 0 ? null : Math.Round(measure(reportIn), 4);
                var figures = new
                {
                    model = $"{original.Contract.ModelName} {original.Contract.ModelVersion}",
                    score = calibration.Score,
                    training_clip_windows = bankSize,
                    outlier_windows = outlierBankSize,
                    outlier_ratio = ratio,
                    temperature,
                    threshold,
                    fitted = new { temperature = givenTemperature is null, threshold = givenThreshold is null },
                    fitted_on = new { in_domain = fitIn.Count, out_of_domain = scored.Count(s => s.Label < 0 && Fits(s)) },
                    reported_on = new { in_domain = reportIn.Count, out_of_domain = reportOod.Count },
                    in_domain_not_recognised = InDomain(Rejected),
                    out_of_domain_not_recognised = Math.Round(Rejected(reportOod), 4),
                    auroc = Auroc(s => s.OpenSetScore(temperature)),
                    auroc_max_probability = Auroc(s => OpenSetFitter.Score(s, temperature)),
                    in_domain_accuracy = InDomain(set => set.Average(s => Array.IndexOf(s.Probabilities, s.Probabilities.Max()) == s.Label ? 1.0 : 0.0)),
                    ece_before = InDomain(set => OpenSetFitter.Ece(set, 1)),
                    ece_after = InDomain(set => OpenSetFitter.Ece(set, temperature)),
                };
                try
                {
                    OpenSetCalibration.Parse(JsonSerializer.Serialize(calibration)); // what every engine will check at load
                }
                catch (ModelContractException e)
                {
                    stderr.WriteLine($"error: the calibration would make the model unservable: {e.Message}");
                    return ExitCodes.InvalidArguments;
                }
                var destination = result.GetValue(output)!;
                var json = JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true });
                // The figures travel with the model: its metrics gain an "open_set" entry.
                var calibrated = ContractStamper.Restamp(withBank ?? source.FullName,
                    c => c with { OpenSet = calibration, MetricsJson = WithOpenSetFigures(c.MetricsJson, JsonSerializer.SerializeToNode(figures)!) }, destination.FullName);
                if (result.GetValue(card) is { } cardFile)
                {
                    var old = cardFile.Exists ? await File.ReadAllTextAsync(cardFile.FullName, ct) : "";
                    var generated = ModelCard.Render(original.Contract, source.Name);
                    // What follows the generated part is the exporter's --card-notes: kept as it is.
                    var notes = old.StartsWith(generated, StringComparison.Ordinal) ? old[generated.Length..] : "";
                    if (old.Length > 0 && notes.Length == 0 && !old.StartsWith(generated, StringComparison.Ordinal))
                        stderr.WriteLine($"warning: {cardFile.Name} does not start with the card this version renders for the source model; its hand-written notes (if any) are not carried over.");
                    await File.WriteAllTextAsync(cardFile.FullName, ModelCard.Render(calibrated, destination.Name) + notes, ct);
                }
                stdout.WriteLine(json);
                if (result.GetValue(report) is { } file)
                    await File.WriteAllTextAsync(file.FullName, json + Environment.NewLine, ct);
                if (result.GetValue(scoresFile) is { } csv)
                {
                    var lines = scored.Select(s => string.Join(',', Quote(s.Path), s.Label >= 0 ? labels[s.Label] : "", Fits(s) ? "fit" : "report",
                        s.OpenSetScore(temperature).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                        OpenSetFitter.Score(s, temperature).ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
                    await File.WriteAllLinesAsync(csv.FullName, ["path,label,set,score,max_probability", .. lines], ct);
                }
                stdout.WriteLine($"calibrated model -> {destination.FullName}");
                return ExitCodes.Success;
            }
            finally
            {
                if (withBank is not null)
                    File.Delete(withBank);
            }
        });
        return command;
    }

    private static List<float[]> Embed(EmbeddingReader reader, IReadOnlyList<string> files, string what, TextWriter stderr, CancellationToken ct)
    {
        var embeddings = new List<float[]>();
        var progress = new TerminalProgress(stderr, what, files.Count);
        for (int i = 0; i < files.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                embeddings.AddRange(reader.Embed(files[i]));
            }
            catch (AudioDecodeException e)
            {
                stderr.WriteLine($"{files[i]}: skipped ({e.Message})");
            }
            progress.Report(i + 1);
        }
        return embeddings;
    }

    private static string WithOpenSetFigures(string metricsJson, System.Text.Json.Nodes.JsonNode figures)
    {
        var metrics = System.Text.Json.Nodes.JsonNode.Parse(metricsJson) as System.Text.Json.Nodes.JsonObject ?? [];
        metrics["open_set"] = figures;
        return metrics.ToJsonString();
    }

    private static string Quote(string field) => field.Contains(',') || field.Contains('"') ? '"' + field.Replace("\"", "\"\"", StringComparison.Ordinal) + '"' : field;
}
