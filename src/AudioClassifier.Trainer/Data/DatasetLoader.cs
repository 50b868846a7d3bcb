using System.Globalization;
using System.Text.RegularExpressions;

namespace AudioClassifier.Trainer.Data;

/// <summary>
/// Reads UrbanSound8K (<c>metadata/UrbanSound8K.csv</c> + <c>audio/foldN/</c>), ESC-50 (<c>meta/esc50.csv</c> +
/// <c>audio/</c>) and folder-per-class layouts (class = folder name without a leading "NNN - " index; an "N-" file-name
/// prefix, as in ESC-10, gives the fold; clips may sit in subfolders of a class folder; hidden files and folders are
/// ignored, other files are listed in <see cref="LabelledDataset.Skipped"/>). Every referenced file must exist.
/// </summary>
public static partial class DatasetLoader
{
    private static readonly string[] AudioExtensions = [".wav", ".mp3", ".ogg"];

    /// <param name="classes">Optional class list for the folder layout: fixes label order and refuses other folders.</param>
    public static LabelledDataset Load(string root, DatasetLayout layout = DatasetLayout.Auto, IReadOnlyList<string>? classes = null)
    {
        if (!Directory.Exists(root))
            throw new DatasetException($"Dataset folder {root} does not exist.");
        // Recorded in runs as an absolute path: an export or an int8 calibration from another folder finds it.
        root = Path.GetFullPath(root);
        if (layout == DatasetLayout.Auto)
            layout = Detect(root);
        var dataset = layout switch
        {
            DatasetLayout.UrbanSound8K => LoadUrbanSound8K(root),
            DatasetLayout.Esc50 => LoadEsc50(root),
            _ => LoadFolders(root, classes),
        };
        if (dataset.Items.Count == 0)
            throw new DatasetException($"Dataset {root} ({layout}) contains no audio clips.");
        if (dataset.Classes.Count < 2)
            throw new DatasetException($"Dataset {root} has one class ('{dataset.Classes[0]}'); a classifier needs at least two.");
        return dataset;
    }

    /// <summary>Decides the layout from the files present.</summary>
    public static DatasetLayout Detect(string root)
    {
        if (File.Exists(Path.Combine(root, "metadata", "UrbanSound8K.csv")))
            return DatasetLayout.UrbanSound8K;
        if (File.Exists(Path.Combine(root, "meta", "esc50.csv")))
            return DatasetLayout.Esc50;
        if (Directory.Exists(Path.Combine(root, "metadata")) || Directory.Exists(Path.Combine(root, "meta")))
            throw new DatasetException($"{root} has a metadata folder but neither metadata/UrbanSound8K.csv nor meta/esc50.csv; the CSV is missing.");
        if (Directory.EnumerateDirectories(root).Any())
            return DatasetLayout.Folders;
        throw new DatasetException($"Cannot tell the layout of {root}: expected metadata/UrbanSound8K.csv, meta/esc50.csv or one folder per class.");
    }

    private static LabelledDataset LoadUrbanSound8K(string root)
    {
        var csv = Path.Combine(root, "metadata", "UrbanSound8K.csv");
        var rows = ReadCsv(csv, "slice_file_name", "fold", "classID", "class");
        var names = new SortedDictionary<int, string>();
        var items = new List<DatasetItem>();
        foreach (var (line, row) in rows)
        {
            int fold = ParseInt(row["fold"], csv, line, "fold");
            int classId = ParseInt(row["classID"], csv, line, "classID");
            if (names.TryGetValue(classId, out var known) && known != row["class"])
                throw new DatasetException($"{csv} line {line}: classID {classId} is '{row["class"]}' here but '{known}' earlier.");
            names[classId] = row["class"];
            var folder = Path.Combine(root, "audio", $"fold{fold}");
            if (!Directory.Exists(folder))
                throw new DatasetException($"{csv} line {line}: fold folder audio/fold{fold} does not exist.");
            items.Add(new DatasetItem(RequireFile(Path.Combine(folder, row["slice_file_name"]), csv, line), classId, fold));
        }
        return Reindex(root, DatasetLayout.UrbanSound8K, names, items);
    }

    private static LabelledDataset LoadEsc50(string root)
    {
        var csv = Path.Combine(root, "meta", "esc50.csv");
        var rows = ReadCsv(csv, "filename", "fold", "target", "category");
        var names = new SortedDictionary<int, string>();
        var items = new List<DatasetItem>();
        foreach (var (line, row) in rows)
        {
            int target = ParseInt(row["target"], csv, line, "target");
            names[target] = row["category"];
            items.Add(new DatasetItem(RequireFile(Path.Combine(root, "audio", row["filename"]), csv, line), target, ParseInt(row["fold"], csv, line, "fold")));
        }
        return Reindex(root, DatasetLayout.Esc50, names, items);
    }

    private static LabelledDataset LoadFolders(string root, IReadOnlyList<string>? classes)
    {
        // Hidden folders (.git, .ipynb_checkpoints) are not classes.
        var folders = Directory.GetDirectories(root).Where(d => !IsHidden(d)).OrderBy(d => d, StringComparer.Ordinal).ToList();
        var byName = folders.ToDictionary(ClassName, f => f);
        var names = classes?.ToList() ?? byName.Keys.ToList();
        if (classes is not null)
        {
            foreach (var folder in folders)
            {
                if (!names.Contains(ClassName(folder)))
                    throw new DatasetException($"Unknown class folder '{Path.GetFileName(folder)}' in {root}; expected one of: {string.Join(", ", names)}.");
            }
            foreach (var name in names.Where(n => !byName.ContainsKey(n)))
                throw new DatasetException($"Class '{name}' has no folder in {root}.");
        }
        var items = new List<DatasetItem>();
        var skipped = new List<string>();
        for (int label = 0; label < names.Count; label++)
        {
            // A class folder's clips may sit in subfolders (recordings grouped by session or source), as audioclf
            // classify and --outlier-exposure search them.
            var files = VisibleFiles(byName[names[label]]).ToList();
            skipped.AddRange(files.Where(f => !IsAudio(f)).Select(f => Path.GetRelativePath(root, f)));
            var clips = files.Where(IsAudio).OrderBy(f => f, StringComparer.Ordinal).ToList();
            if (clips.Count == 0)
                throw new DatasetException($"Class folder '{Path.GetFileName(byName[names[label]])}' in {root} holds no audio clips ({string.Join(", ", AudioExtensions)}); " +
                    "add clips or remove the folder (a class without clips would still be a label the model can answer).");
            foreach (var file in clips)
            {
                var m = FoldPrefix().Match(Path.GetFileName(file));
                items.Add(new DatasetItem(file, label, m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null));
            }
        }
        // Folds count only when every clip has one; otherwise the split is stratified.
        if (items.Any(i => i.Fold is null))
            items = items.Select(i => i with { Fold = null }).ToList();
        return new LabelledDataset(root, DatasetLayout.Folders, names, items) { Skipped = skipped };
    }

    private static IEnumerable<string> VisibleFiles(string folder) =>
        Directory.EnumerateFiles(folder).Where(f => !IsHidden(f))
            .Concat(Directory.EnumerateDirectories(folder).Where(d => !IsHidden(d) && new DirectoryInfo(d).LinkTarget is null).SelectMany(VisibleFiles));   // a linked folder could loop

    private static bool IsHidden(string path) => Path.GetFileName(path).StartsWith('.');

    /// <summary>Class name of a folder: its name without a leading "NNN - " index ("001 - Dog bark" → "Dog bark").</summary>
    public static string ClassName(string folder) => ClassIndexPrefix().Replace(Path.GetFileName(folder), "");

    private static LabelledDataset Reindex(string root, DatasetLayout layout, SortedDictionary<int, string> names, List<DatasetItem> items)
    {
        var ids = names.Keys.ToList();
        var index = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
        return new LabelledDataset(root, layout, names.Values.ToList(), items.Select(i => i with { Label = index[i.Label] }).ToList());
    }

    private static string RequireFile(string path, string csv, int line) =>
        File.Exists(path) ? path : throw new DatasetException($"{csv} line {line}: audio file {path} does not exist.");

    private static bool IsAudio(string path) => AudioExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    private static int ParseInt(string value, string csv, int line, string column) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new DatasetException($"{csv} line {line}: column '{column}' is '{value}', not an integer.");

    private static List<(int Line, Dictionary<string, string> Row)> ReadCsv(string path, params string[] required)
    {
        if (!File.Exists(path))
            throw new DatasetException($"Metadata file {path} does not exist.");
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0)
            throw new DatasetException($"{path} is empty.");
        var header = lines[0].Split(',').Select(h => h.Trim()).ToArray();
        foreach (var column in required.Where(c => !header.Contains(c)))
            throw new DatasetException($"{path} has no '{column}' column (header: {lines[0]}).");
        var rows = new List<(int, Dictionary<string, string>)>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
                continue;
            var cells = lines[i].Split(',');
            if (cells.Length < header.Length)
                throw new DatasetException($"{path} line {i + 1} has {cells.Length} fields; the header has {header.Length}.");
            rows.Add((i + 1, header.Select((h, k) => (h, v: cells[k].Trim())).ToDictionary(p => p.h, p => p.v)));
        }
        return rows;
    }

    [GeneratedRegex(@"^(\d+)-")]
    private static partial Regex FoldPrefix();

    [GeneratedRegex(@"^\d+\s*-\s*")]
    private static partial Regex ClassIndexPrefix();
}
