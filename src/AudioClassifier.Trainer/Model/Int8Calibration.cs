using System.Text.Json;
using AudioClassifier.Onnx.Export;
using AudioClassifier.Trainer.Data;
using AudioClassifier.Trainer.Native;
using AudioClassifier.Trainer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace AudioClassifier.Trainer.Model;

/// <summary>
/// Calibrates static int8 quantisation: runs a run's training clips (exactly the model inputs the service computes:
/// crop at 0, padded as the spec says, no augmentation) through the trained network in eval mode and records each activation's
/// range. Only training clips are used, so nothing about the validation or test folds leaks into the int8 model.
/// </summary>
public static class Int8Calibration
{
    public static IReadOnlyDictionary<string, ActivationRange> Ranges(AudioResNet18 model, JsonElement runConfig, string? datasetOverride, int maxClips)
    {
        var (config, split) = RunDataset.Load(runConfig, datasetOverride, "int8 export calibrates on the run's training clips");
        // A seeded, class-mixed subset when the training set is larger than the calibration budget (the same on every run).
        var items = split.Train.OrderBy(i => i.Path, StringComparer.Ordinal).ToArray();
        new Random(config.Seed).Shuffle(items);
        items = items.Take(maxClips).ToArray();
        var clips = new FeatureStore(config.Features, config.CacheDir).Load(items, null, config.Threads);
        var (mean, _) = model.InputNormalization;
        var builder = new BatchBuilder(config.Features, AugmentConfig.None, mean);
        var recorder = new ActivationRecorder();
        model.to(TorchRuntime.Device);
        model.Recorder = recorder;
        try
        {
            ModelTrainer.Predict(model, builder, clips, TorchRuntime.Device);
        }
        finally
        {
            model.Recorder = null;
        }
        return recorder.Ranges;
    }
}
