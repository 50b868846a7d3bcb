using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Cli.Commands;

/// <summary>Opens a model file for the commands that score clips in-process, turning an unservable file into a message.</summary>
internal static class LocalEngine
{
    /// <summary>
    /// The engine for <paramref name="model"/> on the CPU without dynamic batching (plus <paramref name="threads"/>), or
    /// null after telling <paramref name="stderr"/> why it cannot be served (missing file, no contract, not ONNX).
    /// </summary>
    public static AudioClassifierEngine? Open(FileInfo model, TextWriter stderr, int? threads = null)
    {
        if (!model.Exists)
        {
            stderr.WriteLine($"error: {model.FullName} does not exist.");
            return null;
        }
        var options = new AudioClassifierOptions { ModelPath = model.FullName, ExecutionProvider = ExecutionProviderPreference.Cpu, DynamicBatching = false };
        if (threads is { } n)
            options = options with { IntraOpThreads = n };
        try
        {
            return new AudioClassifierEngine(options);
        }
        catch (Exception e) when (e is ModelLoadException or ModelContractException or ExecutionProviderUnavailableException)
        {
            stderr.WriteLine($"error: {Path.GetFileName(options.ModelPath)} cannot be served: {e.Message}");
            return null;
        }
    }
}
