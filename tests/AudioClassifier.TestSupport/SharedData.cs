namespace AudioClassifier.TestSupport;

/// <summary>Locates the read-only <c>shared/</c> folder that sits beside the repository (datasets and references).</summary>
public static class SharedData
{
    public static string Root { get; } = Find();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>The repository checkout the tests run from (the folder holding the solution file).</summary>
    public static string RepositoryRoot { get; } = FindRepository();

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "AudioClassifier.slnx")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException("Could not find the repository root (AudioClassifier.slnx).");
    }

    private static string Find()
    {
        var env = Environment.GetEnvironmentVariable("AUDIOCLF_SHARED");
        if (!string.IsNullOrEmpty(env))
            return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(System.IO.Path.Combine(candidate, "reference")))
                return candidate;
        }
        throw new DirectoryNotFoundException("Could not find the shared/ data folder beside the repository; set AUDIOCLF_SHARED.");
    }
}
