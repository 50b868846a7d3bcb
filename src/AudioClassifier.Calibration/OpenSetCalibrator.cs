using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AudioClassifier.Audio.Decoding;
using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Export;
using AudioClassifier.Onnx.Inference;
using AudioClassifier.Terminal;

namespace AudioClassifier.Calibration;

/// <summary>What to calibrate a model on; file lists already chosen (folds, exclusions) by the caller.</summary>
/// <param name="Model">An uncalibrated audioclf model.</param>
/// <param name="InDomain">Labelled clips the model was not trained on (label = index in the model's labels).</param>
/// <param name="OutOfDomain">Clips of none of the model's labels.</param>
/// <param name="Reference">The clips the model was trained on: the score becomes the similarity to the nearest of them
/// (null: the best calibrated probability).</param>
/// <param name="Outliers">Known outliers for the second bank (only with <paramref name="Reference"/>).</param>
/// <param name="Temperature">Given instead of fitted.</param>
/// <param name="Threshold">Given instead of fitted.</param>
/// <param name="Destination">Where the calibrated model goes (may not be <paramref name="Model"/>).</param>
/// <param name="CardFile">The source model's model-card.md, rewritten for the calibrated model (notes kept).</param>
/// <param name="ScoresFile">Every clip's scores as CSV.</param>
public sealed record CalibrationRequest(
    string Model,
    IReadOnlyList<(string Path, int Label)> InDomain,
    IReadOnlyList<string> OutOfDomain,
    IReadOnlyList<string>? Reference,
    IReadOnlyList<string> Outliers,
    double OutlierRatio,
    double? Temperature,
    double? Threshold,
    string Destination,
    string? CardFile = null,
    string? ScoresFile = null);

/// <summary>A calibration the request cannot give, with the reason (the caller's to fix).</summary>
public sealed class CalibrationException(string message) : Exception(message);

/// <summary>
/// Fits a model's open-set calibration — the temperature of its probabilities and the threshold below which a sound
/// counts as not recognised — and writes a copy carrying it in its contract. With reference clips (those the model
/// was trained on) the score is the similarity to the nearest of them, built into the graph
/// (<see cref="TrainingSimilarityGraph"/>), optionally with a bank of known outliers; otherwise the best calibrated
/// probability. Every set is split in two by a hash of the file name: one half fits, the other half reports
/// (rejection rates, AUROC, calibration error), so the figures are not measured on what chose them. With both the
/// temperature and the threshold given, nothing is fitted and every clip reports.
/// </summary>
public static class OpenSetCalibrator
{
    /// <summary>Calibrates; returns the report (also embedded in the model's metrics as "open_set").</summary>
    /// <exception cref="CalibrationException">The inputs cannot give a calibration (too few clips, overlap, an
    /// unservable model...).</exception>
    public static async Task<JsonObject> RunAsync(CalibrationRequest request, TextWriter log, CancellationToken ct)
    {
        bool fitting = request.Temperature is null || request.Threshold is null;
        bool withReference = request.Reference is not null;
        if (request.Temperature is { } gt && !(double.IsFinite(gt) && gt > 0)
            || request.Threshold is { } gh && !(double.IsFinite(gh) && gh <= 1 && gh >= (withReference ? -1 : 0))
            || !(double.IsFinite(request.OutlierRatio) && request.OutlierRatio is >= 0 and <= 10))
            throw new CalibrationException("the temperature must be positive, the threshold in [0, 1] (a probability; in [-1, 1] with reference clips: a similarity) and the outlier ratio in [0, 10].");
        if (request.Outliers.Count > 0 && !withReference)
            throw new CalibrationException("outliers need reference clips (the outlier bank is compared with the training bank).");
        if ((fitting && request.InDomain.Count < 20) || request.OutOfDomain.Count < 20)
            throw new CalibrationException($"{request.InDomain.Count} in-domain and {request.OutOfDomain.Count} out-of-domain clips found; at least 20 of each are needed.");
        if (Path.GetFullPath(request.Destination) == Path.GetFullPath(request.Model))
            throw new CalibrationException("write the calibrated model to another file than the source.");

        using var original = Open(request.Model);
        if (original.Contract.OpenSet is not null)
            throw new CalibrationException("the model is already calibrated; calibrate the uncalibrated export.");
        var labels = original.Contract.Labels;

        // With reference clips, the scoring model is the original plus its training bank (contract placeholders until fitted).
        string? withBank = null;
        int bankSize = 0, outlierBankSize = 0;
        double? ratio = null;
        if (request.Reference is { } referenceFiles)
        {
            // Held-out clips in the bank would score ~1 and drag the fitted threshold up to reject nearly everything new.
            var overlap = referenceFiles.Intersect(request.InDomain.Select(f => f.Path)).Count();
            if (overlap > 0)
                throw new CalibrationException($"{overlap} clip(s) are both reference (the bank) and in-domain (held out); the bank takes the training clips only.");
            List<float[]> bank, outlierBank;
            try
            {
                using var reader = new EmbeddingReader(original);
                bank = Embed(reader, referenceFiles, "training clips", log, ct);
                outlierBank = Embed(reader, request.Outliers, "known outliers", log, ct);
            }
            catch (ModelContractException e)
            {
                throw new CalibrationException(e.Message);
            }
            if (request.Outliers.Count > 0 && outlierBank.Count == 0)
                throw new CalibrationException($"none of the {request.Outliers.Count} known outlier clips holds sound.");
            if (bank.Count == 0)
                throw new CalibrationException($"none of the {referenceFiles.Count} reference (training) clips holds sound.");
            bankSize = bank.Count;
            outlierBankSize = outlierBank.Count;
            ratio = outlierBank.Count > 0 ? request.OutlierRatio : null;
            withBank = Path.Combine(Path.GetTempPath(), $"audioclf-calibrate-{Guid.NewGuid():N}.onnx");
            TrainingSimilarityGraph.Add(request.Model, bank, outlierBank, ratio ?? 0,
                c => c with { OpenSet = new OpenSetCalibration { Temperature = 1, Threshold = -1, Score = OpenSetCalibration.Scores.TrainingSimilarity, OutlierRatio = ratio } }, withBank);
        }
        try
        {
            using var scoringEngine = withBank is null ? null : Open(withBank);
            var engine = scoringEngine ?? original;
            var scored = new List<OpenSetFitter.Scored>();
            var clips = request.InDomain.Concat(request.OutOfDomain.Select(p => (Path: p, Label: -1))).ToList();
            var progress = new TerminalProgress(log, "scoring", clips.Count);
            for (int i = 0; i < clips.Count; i++)
            {
                var (path, label) = clips[i];
                try
                {
                    await using var stream = File.OpenRead(path);
                    var r = await engine.ClassifyAsync(stream, labels.Count, ct);
                    if (!r.Silent)
                        scored.Add(new OpenSetFitter.Scored(path, r.Probabilities.ToArray(), label, withBank is null ? null : r.RecognitionScore, WindowProbabilities(r, labels)));
                }
                catch (AudioDecodeException e)
                {
                    log.WriteLine($"{path}: skipped ({e.Message})");
                }
                progress.Report(i + 1);
            }

            // Fitting splits every set in two by file name; with nothing to fit, every clip reports.
            bool Fits(OpenSetFitter.Scored s) => fitting && XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(Path.GetFileName(s.Path))) % 2 == 0;
            var fitIn = scored.Where(s => s.Label >= 0 && Fits(s)).ToList();
            var reportIn = scored.Where(s => s.Label >= 0 && !Fits(s)).ToList();
            var reportOod = scored.Where(s => s.Label < 0 && !Fits(s)).ToList();
            if (fitting && fitIn.Count == 0)
                throw new CalibrationException("no in-domain clip was left to fit on (all silent or undecodable).");
            double temperature = request.Temperature ?? OpenSetFitter.FitTemperature(fitIn);
            double threshold = request.Threshold ?? OpenSetFitter.FitThreshold(fitIn.Select(s => s.OpenSetScore(temperature)).ToList());
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
            var figures = JsonSerializer.SerializeToNode(new
            {
                model = $"{original.Contract.ModelName} {original.Contract.ModelVersion}",
                score = calibration.Score,
                training_clip_windows = bankSize,
                outlier_windows = outlierBankSize,
                outlier_ratio = ratio,
                temperature,
                threshold,
                fitted = new { temperature = request.Temperature is null, threshold = request.Threshold is null },
                fitted_on = new { in_domain = fitIn.Count, out_of_domain = scored.Count(s => s.Label < 0 && Fits(s)) },
                reported_on = new { in_domain = reportIn.Count, out_of_domain = reportOod.Count },
                in_domain_not_recognised = InDomain(Rejected),
                out_of_domain_not_recognised = Math.Round(Rejected(reportOod), 4),
                auroc = Auroc(s => s.OpenSetScore(temperature)),
                auroc_max_probability = Auroc(s => OpenSetFitter.Score(s, temperature)),
                in_domain_accuracy = InDomain(set => set.Average(s => Array.IndexOf(s.Probabilities, s.Probabilities.Max()) == s.Label ? 1.0 : 0.0)),
                ece_before = InDomain(set => OpenSetFitter.Ece(set, 1)),
                ece_after = InDomain(set => OpenSetFitter.Ece(set, temperature)),
            })!.AsObject();
            try
            {
                OpenSetCalibration.Parse(JsonSerializer.Serialize(calibration)); // what every engine will check at load
            }
            catch (ModelContractException e)
            {
                throw new CalibrationException($"the calibration would make the model unservable: {e.Message}");
            }
            // The figures travel with the model: its metrics gain an "open_set" entry.
            var calibrated = ContractStamper.Restamp(withBank ?? request.Model,
                c => c with { OpenSet = calibration, MetricsJson = WithOpenSetFigures(c.MetricsJson, figures.DeepClone()) }, request.Destination);
            if (request.CardFile is { } cardFile)
                await RewriteCardAsync(cardFile, original.Contract, Path.GetFileName(request.Model), calibrated, Path.GetFileName(request.Destination), log, ct);
            if (request.ScoresFile is { } csv)
            {
                var lines = scored.Select(s => string.Join(',', Quote(s.Path), s.Label >= 0 ? labels[s.Label] : "", Fits(s) ? "fit" : "report",
                    s.OpenSetScore(temperature).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                    OpenSetFitter.Score(s, temperature).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                    Quote(labels[OpenSetFitter.Predicted(s, temperature)]),
                    string.Join(',', s.Probabilities.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))));
                // The uncalibrated probabilities last (one column per label), so that a temperature can be fitted on
                // clips pooled from several models (scripts/open-set-combined.py).
                string header = string.Join(',', ["path,label,set,score,max_probability,predicted", .. labels.Select(l => Quote("p:" + l))]);
                await File.WriteAllLinesAsync(csv, [header, .. lines], ct);
            }
            return figures;
        }
        finally
        {
            if (withBank is not null)
                File.Delete(withBank);
        }
    }

    // The card of the source model rewritten for the calibrated one; what follows the generated part (the exporter's
    // --card-notes) is kept as it is.
    private static async Task RewriteCardAsync(string cardFile, ModelContract source, string sourceName, ModelContract calibrated, string destinationName, TextWriter log, CancellationToken ct)
    {
        var old = File.Exists(cardFile) ? await File.ReadAllTextAsync(cardFile, ct) : "";
        var generated = ModelCard.Render(source, sourceName);
        var notes = old.StartsWith(generated, StringComparison.Ordinal) ? old[generated.Length..] : "";
        if (old.Length > 0 && notes.Length == 0 && !old.StartsWith(generated, StringComparison.Ordinal))
            log.WriteLine($"warning: {Path.GetFileName(cardFile)} does not start with the card this version renders for the source model; its hand-written notes (if any) are not carried over.");
        await File.WriteAllTextAsync(cardFile, ModelCard.Render(calibrated, destinationName) + notes, ct);
    }

    private static AudioClassifierEngine Open(string model)
    {
        if (!File.Exists(model))
            throw new CalibrationException($"{model} does not exist.");
        try
        {
            return new AudioClassifierEngine(new AudioClassifierOptions { ModelPath = model, ExecutionProvider = ExecutionProviderPreference.Cpu, DynamicBatching = false });
        }
        catch (Exception e) when (e is ModelLoadException or ModelContractException or ExecutionProviderUnavailableException)
        {
            throw new CalibrationException($"{Path.GetFileName(model)} cannot be served: {e.Message}");
        }
    }

    private static List<float[]> Embed(EmbeddingReader reader, IReadOnlyList<string> files, string what, TextWriter log, CancellationToken ct)
    {
        var embeddings = new List<float[]>();
        var progress = new TerminalProgress(log, what, files.Count);
        for (int i = 0; i < files.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                embeddings.AddRange(reader.Embed(files[i]));
            }
            catch (AudioDecodeException e)
            {
                log.WriteLine($"{files[i]}: skipped ({e.Message})");
            }
            progress.Report(i + 1);
        }
        return embeddings;
    }

    private static string WithOpenSetFigures(string metricsJson, JsonNode figures)
    {
        var metrics = JsonNode.Parse(metricsJson) as JsonObject ?? [];
        metrics["open_set"] = figures;
        return metrics.ToJsonString();
    }

    private static string Quote(string field) => field.Contains(',') || field.Contains('"') ? '"' + field.Replace("\"", "\"\"", StringComparison.Ordinal) + '"' : field;

    /// <summary>Each sounding window's probabilities in label order (the timeline ranks all of them).</summary>
    private static List<float[]> WindowProbabilities(ClassificationResult result, IReadOnlyList<string> labels)
    {
        var index = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i);
        return result.Timeline.Where(w => !w.Silent).Select(w =>
        {
            var p = new float[labels.Count];
            foreach (var score in w.TopK)
                p[index[score.Label]] = score.Score;
            return p;
        }).ToList();
    }
}
