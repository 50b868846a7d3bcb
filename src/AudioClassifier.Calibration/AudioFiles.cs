using System.Text.RegularExpressions;

namespace AudioClassifier.Calibration;

/// <summary>The audio clips (WAV, MP3, Ogg) under folders, for calibration sets, outlier banks and <c>audioclf
/// classify</c>: searched recursively, in ordinal order, without hidden files and folders (macOS "._x.wav" resource
/// forks, .git; as the trainer reads datasets), optionally without the file names a pattern matches (e.g.
/// UrbanSound8K's dog_bark, an in-domain class).</summary>
public static class AudioFiles
{
    private static readonly string[] Extensions = [".wav", ".mp3", ".ogg"];

    public static bool IsAudio(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    public static List<string> Under(IEnumerable<string> folders, Regex? exclude = null) =>
        folders.SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories).Where(f => !Hidden(d, f)))
            .Where(f => IsAudio(f) && (exclude is null || !exclude.IsMatch(Path.GetFileName(f))))
            .Order(StringComparer.Ordinal).ToList();

    // A file is hidden when its name or a folder between the searched root and it starts with '.'.
    private static bool Hidden(string root, string file) =>
        Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.'));
}
