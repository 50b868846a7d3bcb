using System.CommandLine;
using System.Globalization;
using System.Text;
using AudioClassifier.Audio.Decoding;
using AudioClassifier.Onnx.Contract;
using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Cli.Commands;

/// <summary>
/// <c>audioclf classify</c>: classifies a file or every audio file under a folder with a local ONNX model, printing
/// or writing <c>path,label,score</c> plus top-k columns; folders show a progress bar.
/// </summary>
public static class ClassifyCommand
{
    private static readonly string[] AudioExtensions = [".wav", ".mp3", ".ogg"];

    public static Command Create()
    {
        var input = new Argument<string>("file-or-folder") { Description = "Audio file, or folder searched recursively for .wav/.mp3/.ogg." };
        var model = new Option<FileInfo?>("--model", "-m") { Description = $"Exported .onnx model (default: $AUDIOCLF_MODEL or models/{DefaultModel.FileName})." };
        var output = new Option<FileInfo?>("--out", "-o") { Description = "Write CSV here instead of printing it." };
        var topK = new Option<int>("--top-k", "-k") { Description = "Labels per clip.", DefaultValueFactory = _ => 1 };
        var provider = new Option<ExecutionProviderPreference>("--provider") { Description = "auto, cuda or cpu.", DefaultValueFactory = _ => ExecutionProviderPreference.Auto };
        var command = new Command("classify", "Classify audio files with an exported model.") { input, model, output, topK, provider };
        command.SetAction(async (r, ct) =>
        {
            var stderr = r.InvocationConfiguration.Error;
            var modelPath = r.GetValue(model)?.FullName ?? DefaultModel.Find();
            if (modelPath is null)
            {
                stderr.WriteLine($"error: no model given and none found (pass --model, set AUDIOCLF_MODEL, or add models/{DefaultModel.FileName}).");
                return ExitCodes.InvalidArguments;
            }
            var target = r.GetValue(input)!;
            var files = Directory.Exists(target)
                ? Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories).Where(f => AudioExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal).ToList()
                : File.Exists(target) ? [target] : null;
            if (files is null)
            {
                stderr.WriteLine($"error: {target} does not exist.");
                return ExitCodes.InvalidArguments;
            }
            int k = r.GetValue(topK);
            if (k < 1)
            {
                stderr.WriteLine("error: --top-k must be at least 1.");
                return ExitCodes.InvalidArguments;
            }
            AudioClassifierEngine engine;
            try
            {
                engine = new AudioClassifierEngine(new AudioClassifierOptions { ModelPath = modelPath, ExecutionProvider = r.GetValue(provider), DynamicBatching = false });
            }
            catch (Exception e) when (e is ModelLoadException or ModelContractException or ExecutionProviderUnavailableException)
            {
                stderr.WriteLine($"error: {e.Message}");
                return ExitCodes.InvalidArguments;
            }
            using (engine)
            {
                k = Math.Min(k, engine.Contract.Labels.Count);
                var csv = new StringBuilder(Header(k));
                int failures = 0;
                for (int i = 0; i < files.Count; i++)
                {
                    try
                    {
                        await using var stream = File.OpenRead(files[i]);
                        var result = await engine.ClassifyAsync(stream, k, ct);
                        csv.AppendLine(Row(files[i], result));
                    }
                    catch (AudioDecodeException e)
                    {
                        failures++;
                        stderr.WriteLine($"{files[i]}: cannot decode ({e.Kind}): {e.Message}");
                    }
                    if (files.Count > 1)
                        Progress(stderr, i + 1, files.Count);
                }
                if (r.GetValue(output) is { } file)
                {
                    await File.WriteAllTextAsync(file.FullName, csv.ToString(), ct);
                    r.InvocationConfiguration.Output.WriteLine($"{files.Count - failures} clip(s) classified with {engine.Contract.ModelName} {engine.Contract.ModelVersion} on {engine.ExecutionProvider} -> {file.FullName}");
                }
                else
                {
                    r.InvocationConfiguration.Output.Write(csv.ToString());
                }
                return failures == 0 ? ExitCodes.Success : ExitCodes.BadAudio;
            }
        });
        return command;
    }

    private static string Header(int k)
    {
        var s = new StringBuilder("path,label,score");
        for (int i = 2; i <= k; i++)
            s.Append(CultureInfo.InvariantCulture, $",label_{i},score_{i}");
        return s.AppendLine().ToString();
    }

    private static string Row(string path, ClassificationResult result)
    {
        var s = new StringBuilder(Csv(path));
        foreach (var score in result.TopK)
            s.Append(CultureInfo.InvariantCulture, $",{Csv(score.Label)},{score.Score:0.000000}");
        return s.ToString();
    }

    private static string Csv(string value) => value.IndexOfAny([',', '"', '\n']) >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;

    private static void Progress(TextWriter writer, int done, int total)
    {
        const int width = 30;
        int filled = done * width / total;
        writer.Write($"\rclassifying [{new string('#', filled)}{new string('.', width - filled)}] {done}/{total}");
        if (done == total)
            writer.WriteLine();
    }
}
