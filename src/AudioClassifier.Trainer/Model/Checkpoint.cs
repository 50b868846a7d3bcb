using static TorchSharp.torch;

namespace AudioClassifier.Trainer.Model;

/// <summary>
/// Saves and loads a run's checkpoint so that an interrupted save never destroys the one before it: the state dict is
/// written beside it and moved over it (a rename within the folder), and a file that cannot be read is named as such.
/// </summary>
public static class Checkpoint
{
    public static void Save(nn.Module module, string path)
    {
        var partial = path + ".partial";
        module.save(partial);
        File.Move(partial, path, overwrite: true);
    }

    public static void Load(nn.Module module, string path)
    {
        try
        {
            module.load(path);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or FormatException or InvalidOperationException && e is not FileNotFoundException)
        {
            throw new CheckpointException($"{path} ({new FileInfo(path).Length:N0} bytes) is not a complete checkpoint of this run's network ({e.Message.TrimEnd('.')}); " +
                "it may have been cut short by an interrupted save of an older trainer: train the run again.");
        }
    }
}

/// <summary>A checkpoint that cannot be read as the run's network (cut short, or another network's).</summary>
public sealed class CheckpointException(string message) : Exception(message);
