using AudioClassifier.Audio.IO;
using AudioClassifier.Terminal;
using AudioClassifier.Trainer.Data;

namespace AudioClassifier.Trainer.Training;

/// <summary>
/// Writes a dataset's model inputs exactly as the trainer feeds them without augmentation (cached features, cropped at 0
/// or padded to the window as the spec says) as .npy files, so the same data can be trained in another framework: the reference
/// for comparing this trainer with PyTorch under equal settings (scripts/parity).
/// </summary>
public static class ModelInputsWriter
{
    /// <summary>Writes inputs.npy [clips, n_mels, frames], labels.npy and folds.npy [clips] (float32), classes.txt and files.txt.</summary>
    public static int Write(TrainingConfig config, string outputDirectory, TextWriter log)
    {
        var dataset = DatasetLoader.Load(config.Dataset, Enum.Parse<DatasetLayout>(config.Layout, ignoreCase: true), config.Classes);
        var progress = new TerminalProgress(log, "features", dataset.Items.Count);
        var clips = new FeatureStore(config.Features, config.CacheDir).Load(dataset.Items, new Progress<int>(n => progress.Report(n, "decoded")), config.Threads);
        var builder = new BatchBuilder(config.Features, AugmentConfig.None, 0f);
        var inputs = new float[clips.Count * builder.Size];
        for (int i = 0; i < clips.Count; i++)
            builder.Write(clips[i], inputs.AsSpan(i * builder.Size, builder.Size), null);
        Directory.CreateDirectory(outputDirectory);
        NpyFile.Write(Path.Combine(outputDirectory, "inputs.npy"), inputs, clips.Count, builder.NMels, builder.Frames);
        NpyFile.Write(Path.Combine(outputDirectory, "labels.npy"), clips.Select(c => (float)c.Item.Label).ToArray(), clips.Count);
        NpyFile.Write(Path.Combine(outputDirectory, "folds.npy"), clips.Select(c => (float)(c.Item.Fold ?? 0)).ToArray(), clips.Count);
        File.WriteAllLines(Path.Combine(outputDirectory, "classes.txt"), dataset.Classes);
        File.WriteAllLines(Path.Combine(outputDirectory, "files.txt"), clips.Select(c => Path.GetRelativePath(dataset.Root, c.Item.Path)));
        return clips.Count;
    }
}
