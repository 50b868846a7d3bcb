using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AudioClassifier.Calibration;
using AudioClassifier.Trainer.Data;

namespace AudioClassifier.Trainer.Model;

/// <summary>Out-of-domain folders and known outliers given at export (<c>export --ood</c>).</summary>
/// <param name="OutOfDomain">Folders of sounds that are none of the labels (never training data).</param>
/// <param name="OodExclude">Pattern on file names to leave out of them (e.g. an in-domain class).</param>
/// <param name="Outliers">Folders of known outliers for the second bank (e.g. scripts/make-outliers.sh).</param>
/// <param name="Temperature">Given instead of fitted (e.g. measured by cross-validation).</param>
/// <param name="Threshold">Given instead of fitted.</param>
public sealed record OpenSetExportOptions(IReadOnlyList<string> OutOfDomain, string? OodExclude = null, IReadOnlyList<string>? Outliers = null,
    double OutlierRatio = 0.5, double? Temperature = null, double? Threshold = null);

/// <summary>
/// Calibrates an exported run for "not recognised" in the same step (what <c>audioclf calibrate</c> does, with the
/// run's own split): the run's training clips become the similarity bank, its validation and test clips — which it
/// never trained on — fit the temperature and threshold (half of them; the other half reports), the out-of-domain
/// folders are the sounds to reject. A run trained on every clip has none held out: give the temperature and
/// threshold measured by cross-validation (scripts/open-set-cv.sh).
/// </summary>
public static class OpenSetExport
{
    /// <summary>The run's clips and the folders' files, checked before anything is exported.</summary>
    public static CalibrationRequest Prepare(string runDirectory, OpenSetExportOptions options, string? datasetOverride)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDirectory, "config.json")));
        var (_, split) = RunDataset.Load(config.RootElement, datasetOverride, "export --ood builds the run's training clips into the model");
        var heldOut = split.Validation.Concat(split.Test).Select(i => (i.Path, i.Label)).ToList();
        if (heldOut.Count == 0 && (options.Temperature is null || options.Threshold is null))
            throw new ArgumentException("The run holds no clips out (trained without validation or test folds), so nothing can fit the threshold: give --temperature and --threshold measured by cross-validation (scripts/open-set-cv.sh).");
        var exclude = options.OodExclude is { } pattern ? new Regex(pattern) : null;
        // Model, destination and card are filled in by Calibrate.
        return new CalibrationRequest("", heldOut, AudioFiles.Under(options.OutOfDomain, exclude), split.Train.Select(i => i.Path).ToList(),
            AudioFiles.Under(options.Outliers ?? []), options.OutlierRatio, options.Temperature, options.Threshold, "");
    }

    /// <summary>Calibrates <paramref name="exported"/> into <paramref name="destination"/>; <paramref name="cardFile"/>
    /// (the export's card) is rewritten for it.</summary>
    public static JsonObject Calibrate(CalibrationRequest prepared, string exported, string destination, string cardFile, TextWriter log) =>
        OpenSetCalibrator.RunAsync(prepared with { Model = exported, Destination = destination, CardFile = cardFile }, log, CancellationToken.None).GetAwaiter().GetResult();
}
