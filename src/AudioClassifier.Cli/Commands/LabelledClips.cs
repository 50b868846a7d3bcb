using System.Globalization;
using System.Text.RegularExpressions;
using AudioClassifier.Calibration;

namespace AudioClassifier.Cli.Commands;

/// <summary>Labelled clips on disk as the ESC-10 copy lays them out: one folder per label, files prefixed 'N-' with their fold.</summary>
public static class LabelledClips
{
    /// <summary>
    /// Files under per-label folders ('NNN - Label' or 'Label') with the index of their label in
    /// <paramref name="labels"/>; only <paramref name="folds"/> (from an 'N-' file prefix) when any are given.
    /// </summary>
    public static IEnumerable<(string Path, int Label)> Find(DirectoryInfo root, IReadOnlyList<string> labels, int[] folds)
    {
        foreach (var dir in root.EnumerateDirectories().OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            var name = Regex.Replace(dir.Name, @"^\d+ - ", "");
            int label = labels.ToList().FindIndex(l => string.Equals(l, name, StringComparison.OrdinalIgnoreCase));
            if (label < 0)
                throw new ArgumentException($"folder '{dir.Name}' is not one of the model's labels ({string.Join(", ", labels)}).");
            foreach (var file in dir.EnumerateFiles().Where(f => AudioFiles.IsAudio(f.Name)).OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                var fold = Regex.Match(file.Name, @"^(\d+)-");
                if (folds.Length == 0 || (fold.Success && folds.Contains(int.Parse(fold.Groups[1].Value, CultureInfo.InvariantCulture))))
                    yield return (file.FullName, label);
            }
        }
    }
}
