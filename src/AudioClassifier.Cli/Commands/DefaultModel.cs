namespace AudioClassifier.Cli.Commands;

/// <summary>Finds the shipped model: $AUDIOCLF_MODEL, else models/*.onnx under the working directory or the tool's folder.</summary>
internal static class DefaultModel
{
    public const string FileName = "esc10-resnet18.onnx";

    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("AUDIOCLF_MODEL") is { Length: > 0 } env)
            return env;
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models", FileName);
            if (File.Exists(candidate))
                return candidate;
        }
        var beside = Path.Combine(AppContext.BaseDirectory, "models", FileName);
        return File.Exists(beside) ? beside : null;
    }
}
