using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Cli.Commands;

/// <summary>Opens a model file for the commands that score clips in-process, turning an unservable file into a message.</summary>
internal static class LocalEngine
{
    /// <summary>The engine for <paramref name="options"/>' model, or null after telling <paramref name="stderr"/> why it cannot be served.</summary>
    public static AudioClassifierEngine? Open(AudioClassifierOptions options, TextWriter stderr)
    {
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
