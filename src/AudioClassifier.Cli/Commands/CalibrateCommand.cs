using System.CommandLine;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AudioClassifier.Audio.Decoding;
using AudioClassifier.Calibration;
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
        var card = new Option<FileInfo?>("--card") { Description = "The source model's card (<name>.model-card.md): rewritten for the calibrated model (open-set section and metrics), its hand-written notes kept." };
        var scoresFile = new Option<FileInfo?>("--scores") { Description = "Also write every clip's scores as CSV here (path, label, set, score, best probability, predicted label, then each label's uncalibrated probability), e.g. to pool thresholds over cross-validation models." };
        var command = new Command("calibrate", "Fit a model's temperature and 'not recognised' threshold on held-out in-domain and out-of-domain clips; report on the other half of each.")
            { model, inDomain, folds, ood, exclude, reference, referenceFolds, outliers, outlierRatio, temperatureOption, thresholdOption, output, report, scoresFile, card };
        command.SetAction(async (result, ct) =>
        {
            var stdout = result.InvocationConfiguration.Output;
            var stderr = result.InvocationConfiguration.Error;
            var source = result.GetValue(model)!;
            double? givenTemperature = result.GetValue(temperatureOption), givenThreshold = result.GetValue(thresholdOption);
            bool fitting = givenTemperature is null || givenThreshold is null;
            // A mistyped card would otherwise be written afresh, without the notes of the card it was meant to be.
            if (result.GetValue(card) is { Exists: false } missingCard)
            {
                stderr.WriteLine($"error: --card {missingCard.FullName} does not exist (an export's card is named after its model: <name>.model-card.md).");
                return ExitCodes.InvalidArguments;
            }
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
            IReadOnlyList<string>? labels;
            using (var probe = LocalEngine.Open(source, stderr))
            {
                if (probe is null)
                    return ExitCodes.InvalidArguments;
                if (probe.Contract.OpenSet is not null)
                {
                    stderr.WriteLine("error: the model is already calibrated; calibrate the uncalibrated export.");
                    return ExitCodes.InvalidArguments;
                }
                labels = probe.Contract.Labels;
            }
            var inFiles = result.GetValue(inDomain) is { } inDir ? LabelledClips.Find(inDir, labels, result.GetValue(folds) ?? []).ToList() : [];
            var pattern = result.GetValue(exclude) is { } x ? new Regex(x) : null;
            var oodFiles = AudioFiles.Under(result.GetValue(ood)!.Select(d => d.FullName), pattern);
            List<string>? referenceFiles = null;
            if (result.GetValue(reference) is { } referenceDir)
            {
                referenceFiles = LabelledClips.Find(referenceDir, labels, result.GetValue(referenceFolds) ?? []).Select(f => f.Path).ToList();
                var overlap = referenceFiles.Intersect(inFiles.Select(f => f.Path)).Count();
                if (overlap > 0)
                {
                    stderr.WriteLine($"error: {overlap} clip(s) are both --reference (the bank) and --in-domain (held out); give the training folds with --reference-folds and the held-out ones with --folds.");
                    return ExitCodes.InvalidArguments;
                }
            }
            var outlierFiles = AudioFiles.Under(outlierDirs.Select(d => d.FullName));
            var destination = result.GetValue(output)!;
            try
            {
                var figures = await OpenSetCalibrator.RunAsync(new CalibrationRequest(source.FullName, inFiles, oodFiles, referenceFiles, outlierFiles,
                    ratioValue, givenTemperature, givenThreshold, destination.FullName, result.GetValue(card)?.FullName, result.GetValue(scoresFile)?.FullName), stderr, ct);
                var json = figures.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
                stdout.WriteLine(json);
                if (result.GetValue(report) is { } file)
                    await File.WriteAllTextAsync(file.FullName, json + Environment.NewLine, ct);
                stdout.WriteLine($"calibrated model -> {destination.FullName}");
                return ExitCodes.Success;
            }
            catch (CalibrationException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                return ExitCodes.InvalidArguments;
            }
        });
        return command;
    }
}
