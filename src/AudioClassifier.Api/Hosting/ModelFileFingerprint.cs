namespace AudioClassifier.Api.Hosting;

/// <summary>
/// What identifies the model file's content without reading it: the real path it resolves to through every symlink
/// (file and directory links: Kubernetes re-points a volume's "..data" directory link to publish a new version), its
/// size and its modification time. A changed fingerprint means a new file to load.
/// </summary>
public sealed record ModelFileFingerprint(string RealPath, long Length, DateTime LastWriteUtc)
{
    /// <summary>The file's fingerprint now, or null while it does not exist (or cannot be read).</summary>
    public static ModelFileFingerprint? Of(string path)
    {
        try
        {
            var real = Resolve(Path.GetFullPath(path));
            var file = new FileInfo(real);
            return file.Exists ? new ModelFileFingerprint(real, file.Length, file.LastWriteTimeUtc) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // Resolves links component by component (a link inside a linked directory included), as realpath(3) does.
    private static string Resolve(string path, int depth = 0)
    {
        if (depth > 40)
            throw new IOException($"Too many levels of symbolic links in {path}.");
        var root = Path.GetPathRoot(path)!;
        var resolved = root;
        foreach (var part in path[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(resolved, part);
            var info = new FileInfo(next);
            if (info.LinkTarget is { } target)
                next = Resolve(Path.GetFullPath(target, resolved), depth + 1);
            resolved = next;
        }
        return resolved;
    }
}
