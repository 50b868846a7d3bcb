using System.Diagnostics;
using AudioClassifier.Audio;
using AudioClassifier.Audio.Features;
using AudioClassifier.Imaging;
using AudioClassifier.Terminal;
using AudioClassifier.Trainer.Data;
using AudioClassifier.Trainer.Model;
using AudioClassifier.Trainer.Native;
using AudioClassifier.Trainer.Tracking;
using TorchSharp;
using static TorchSharp.torch;

namespace AudioClassifier.Trainer.Training;

/// <summary>The outcome of a training run.</summary>
public sealed record TrainingResult(string RunDirectory, Evaluation? Best, int BestEpoch, IReadOnlyList<double> EpochTrainLoss, InitializationReport Init)
{
    /// <summary>The test folds scored once with the chosen checkpoint (null without test folds).</summary>
    public Evaluation? Test { get; init; }

    /// <summary>The same test clips played <see cref="ModelTrainer.QuieterTestDb"/> dB quieter: level robustness.</summary>
    public Evaluation? TestQuieter { get; init; }
}

/// <summary>
/// Trains <see cref="AudioResNet18"/> on a dataset with one configuration, tracking everything in a run directory.
/// Deterministic on CPU for a given seed: shuffling, augmentation and mixup use a seeded generator and Torch is seeded.
/// </summary>
public sealed class ModelTrainer(TrainingConfig config, TextWriter log)
{
    /// <summary>Test clips are also scored this much quieter (a user's recordings are rarely at the dataset's level).</summary>
    public const float QuieterTestDb = -20;

    /// <summary>
    /// Bumped whenever training changes what it does under unchanged settings, and written into config.json, so that
    /// a resumed cross-validation never reuses a fold an older trainer trained as if this one had (1: until
    /// 2026-11-27; 2: the spectral colouring re-applies the top_db floor; 3: validation and test clips longer than one
    /// window are scored as the service scores them, which can change their figures and the epoch kept; 4: their silent
    /// windows are the service's, a peak below its silence threshold, where 3 dropped only digital silence).
    /// </summary>
    public const int TrainingRevision = 4;

    // Validation and test clips longer than one window, decoded once per run to find their silent windows as the service does.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, HeardClip> _heard = new();

    public TrainingResult Run()
    {
        config.Validate();
        // A second run into the same folder would mix two runs' metrics, samples and TensorBoard logs.
        if (config.RunName is { } name && Directory.Exists(System.IO.Path.Combine(config.RunsDir, name)) && Directory.EnumerateFileSystemEntries(System.IO.Path.Combine(config.RunsDir, name)).Any())
            throw new ArgumentException($"Run {System.IO.Path.Combine(config.RunsDir, name)} already exists: give another --run-name, or delete that folder to train it again.", "run_name");
        TorchRuntime.EnsureLoaded();
        var device = TorchRuntime.Device;
        torch.manual_seed(config.Seed);
        torch.set_num_threads(config.Threads);
        var rng = new Random(config.Seed);

        var dataset = DatasetLoader.Load(config.Dataset, Enum.Parse<DatasetLayout>(config.Layout, ignoreCase: true), config.Classes);
        // Here, not in DatasetSplit: an older run's split (RunDataset) is rebuilt as it was made, when this was ignored.
        if (config.ValFolds.Count > 0 && config.TestFolds.Count == 0 && !dataset.HasFolds)
            throw new DatasetException("Validation folds need a dataset with folds (the ESC-10 N- file prefix, ESC-50 or UrbanSound8K layouts); " +
                "this one has none: leave out --val-folds and give --val-fraction for a stratified split.");
        var split = DatasetSplit.Create(dataset, config.ValFolds, config.ValFraction, config.Seed, config.TestFolds);
        if (dataset.Skipped.Count > 0)
            log.WriteLine($"note: {dataset.Skipped.Count} file(s) in the class folders are not WAV, MP3 or Ogg clips and are left out: {string.Join(", ", dataset.Skipped.Take(5))}{(dataset.Skipped.Count > 5 ? ", ..." : "")}");
        log.WriteLine($"dataset {dataset.Root}: {dataset.Layout}, {dataset.Classes.Count} classes, {dataset.Items.Count} clips; {split.Description}: {split.Train.Count} train / {split.Validation.Count} validation / {split.Test.Count} test; device {device.type}");

        var store = new FeatureStore(config.Features, config.CacheDir);
        var progress = new TerminalProgress(log, "features", split.Train.Count + split.Validation.Count);
        int offset = 0;
        var train = store.Load(split.Train, new Progress<int>(n => progress.Report(n, "decoded")), config.Threads);
        offset = train.Count;
        var validation = store.Load(split.Validation, new Progress<int>(n => progress.Report(offset + n, "decoded")), config.Threads);

        var outliers = LoadOutliers(store);
        var (mean, std) = Statistics(train);
        var run = new RunDirectory(config.RunsDir, config.RunName ?? DateTime.UtcNow.ToString("yyyyMMdd-HHmmss"));
        using var model = new AudioResNet18(dataset.Classes.Count, config.Dropout, config.CentredChannel);
        var init = Initialize(model);
        model.SetInputNormalization(mean, std);
        model.to(device);
        run.WriteJson(run.ConfigFile, new
        {
            config = config,
            training_revision = TrainingRevision,
            classes = dataset.Classes,
            dataset = new { root = dataset.Root, layout = dataset.Layout.ToString(), clips = dataset.Items.Count, split = split.Description, train = split.Train.Count, validation = split.Validation.Count },
            feature_spec_json = FeatureSpecJson.Serialize(config.Features),
            input_normalization = new { mean, std },
            initialization = init,
            device = device.type.ToString(),
            torchsharp = typeof(torch).Assembly.GetName().Version?.ToString(),
            started_utc = DateTime.UtcNow,
        });

        var builder = new BatchBuilder(config.Features, config.Augment, mean);
        int stepsPerEpoch = (train.Count + config.BatchSize - 1) / config.BatchSize;
        using var optimizer = CreateOptimizer(model);
        using var average = config.EmaDecay > 0 ? new WeightAverage(model, config.EmaDecay, device) : null;
        // The network that is evaluated and kept: the weight average when there is one.
        var scored = average?.Model ?? model;
        var scheduler = CreateScheduler(optimizer, stepsPerEpoch);
        var tensorboard = torch.utils.tensorboard.SummaryWriter(run.TensorBoard);
        using var media = new TensorBoardMediaWriter(run.TensorBoard);
        WriteAudioSamples(media, validation.Count > 0 ? validation : train);

        Evaluation? best = null;
        int bestEpoch = 0, sinceBest = 0, globalStep = 0;
        var epochLosses = new List<double>();
        double lastTrainAccuracy = 0;
        int lastEpoch = 0;
        for (int epoch = 1; epoch <= config.Epochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            var (trainLoss, trainAcc, networkTime) = TrainEpoch(model, optimizer, scheduler, average, builder, train, outliers, rng, device, epoch, tensorboard, ref globalStep);
            epochLosses.Add(trainLoss);
            (lastTrainAccuracy, lastEpoch) = (trainAcc, epoch);
            double lr = optimizer.ParamGroups.First().LearningRate;
            if (config.Scheduler is "step" or "cosine")
                scheduler?.step();
            Evaluation? eval = validation.Count > 0 ? Evaluate(scored, builder, validation, dataset.Classes, device) : null;

            tensorboard.add_scalar("train/epoch_loss", (float)trainLoss, epoch);
            tensorboard.add_scalar("train/accuracy", (float)trainAcc, epoch);
            if (eval is not null)
            {
                tensorboard.add_scalar("val/loss", (float)eval.Loss, epoch);
                tensorboard.add_scalar("val/accuracy", (float)eval.Accuracy, epoch);
                WriteSpectrogramSamples(scored, builder, validation, dataset.Classes, device, media, run, epoch);
            }
            run.AppendMetrics(new { epoch, train_loss = trainLoss, train_accuracy = trainAcc, val_loss = eval?.Loss, val_accuracy = eval?.Accuracy, val_macro_f1 = eval?.MacroF1, lr, seconds = watch.Elapsed.TotalSeconds, network_seconds = networkTime.TotalSeconds });
            log.WriteLine(FormattableString.Invariant($"epoch {epoch}/{config.Epochs}: train loss {trainLoss:0.0000} acc {trainAcc:P1}") +
                (eval is null ? "" : FormattableString.Invariant($" | val loss {eval.Loss:0.0000} acc {eval.Accuracy:P1}")) + FormattableString.Invariant($" ({watch.Elapsed.TotalSeconds:0.0} s, network {networkTime.TotalSeconds:0.0} s)"));

            bool improved = eval is null || best is null || eval.Accuracy > best.Accuracy || (eval.Accuracy == best.Accuracy && eval.Loss < best.Loss);
            if (improved)
            {
                best = eval;
                bestEpoch = epoch;
                sinceBest = 0;
                Checkpoint.Save(scored, run.Checkpoint);
            }
            else if (config.EarlyStoppingPatience > 0 && ++sinceBest >= config.EarlyStoppingPatience)
            {
                log.WriteLine($"early stopping: no validation improvement for {sinceBest} epochs (best epoch {bestEpoch})");
                break;
            }
        }
        if (best is not null)
            run.WriteFinal(dataset.Classes, best, bestEpoch);
        else
        {
            // Without validation the last epoch's weights are kept; metrics.json still says what was trained (and the
            // export embeds it), with the training figures as the only ones there are.
            run.WriteJson(run.FinalMetrics, new
            {
                best_epoch = lastEpoch,
                classes = dataset.Classes,
                validation = "none: the last epoch's weights",
                train_loss = epochLosses.LastOrDefault(),
                train_accuracy = lastTrainAccuracy,
                train_clips = train.Count,
            });
        }
        if (outliers.Count > 0)
        {
            // How sure the kept model is of the sounds it was told are none of its classes (1 / classes is the floor).
            Checkpoint.Load(model, run.Checkpoint);
            var (_, probabilities, _) = Predict(model, builder, outliers, device);
            double meanMax = probabilities.Average(p => p.Max());
            run.WriteJson(System.IO.Path.Combine(run.Path, "outlier_metrics.json"), new
            {
                clips = outliers.Count, weight = config.OutlierWeight, mean_max_probability = meanMax, uniform = 1.0 / dataset.Classes.Count,
            });
            log.WriteLine(FormattableString.Invariant($"outliers: mean best probability {meanMax:P1} over {outliers.Count} clips (uniform: {1.0 / dataset.Classes.Count:P1})"));
        }
        Evaluation? test = null, quieter = null;
        if (split.Test.Count > 0)
        {
            // Scored once, with the checkpoint the validation split chose: nothing is selected on these folds.
            var testClips = store.Load(split.Test, null, config.Threads);
            Checkpoint.Load(model, run.Checkpoint);
            test = Evaluate(model, builder, testClips, dataset.Classes, device);
            var quieterBuilder = new BatchBuilder(config.Features, config.Augment, mean, QuieterTestDb);
            quieter = Evaluate(model, quieterBuilder, testClips, dataset.Classes, device);
            run.WriteJson(System.IO.Path.Combine(run.Path, "test_metrics.json"), new
            {
                test_folds = config.TestFolds, chosen_epoch = bestEpoch, evaluation = test,
                quieter_db = QuieterTestDb, quieter_evaluation = quieter,
            });
            log.WriteLine(FormattableString.Invariant($"test folds {string.Join(",", config.TestFolds)}: loss {test.Loss:0.0000} acc {test.Accuracy:P2}, {QuieterTestDb} dB quieter {quieter.Accuracy:P2} (checkpoint of epoch {bestEpoch}, {(validation.Count > 0 ? "chosen on validation" : "the last")})"));
        }
        log.WriteLine($"run directory: {run.Path}");
        return new TrainingResult(run.Path, best, bestEpoch, epochLosses, init) { Test = test, TestQuieter = quieter };
    }

    /// <summary>The outlier-exposure clips (<see cref="TrainingConfig.Outliers"/>): none when the option is off.</summary>
    private IReadOnlyList<ClipFeatures> LoadOutliers(FeatureStore store)
    {
        if (config.Outliers.Count == 0)
            return [];
        var files = Calibration.AudioFiles.Under(config.Outliers);
        if (files.Count == 0)
            throw new DatasetException($"No audio clips (WAV, MP3, Ogg) under the outlier folders {string.Join(", ", config.Outliers)}.");
        var clips = store.Load(files.Select(f => new DatasetItem(f, -1, null)).ToList(), null, config.Threads);
        log.WriteLine(FormattableString.Invariant($"outlier exposure: {clips.Count} clips, {config.OutlierBatch} beside each batch, weight {config.OutlierWeight}"));
        foreach (var folder in config.Outliers.Where(f => !Directory.EnumerateFiles(f, "ATTRIBUTION.md", SearchOption.AllDirectories).Any()))
            log.WriteLine($"note: no ATTRIBUTION.md under {folder}: a model trained on its sounds carries no notice for them (right for sounds you made, such as scripts/make-outliers.sh's; add one for sounds under a licence)");
        return clips;
    }

    private InitializationReport Initialize(AudioResNet18 model) => config.Init.ToLowerInvariant() switch
    {
        "random" => InitializationReport.RandomInit(model),
        "imagenet" => ImageNetInitializer.Apply(model),
        _ => StateDictInitializer.Apply(model, config.Init),
    };

    private (double Loss, double Accuracy, TimeSpan Network) TrainEpoch(AudioResNet18 model, optim.Optimizer optimizer, optim.lr_scheduler.LRScheduler? scheduler,
        WeightAverage? average, BatchBuilder builder, IReadOnlyList<ClipFeatures> train, IReadOnlyList<ClipFeatures> outliers, Random rng, Device device, int epoch, TorchSharp.Modules.SummaryWriter tensorboard, ref int globalStep)
    {
        model.train();
        var order = Enumerable.Range(0, train.Count).OrderBy(_ => rng.Next()).ToArray();
        var bar = new TerminalProgress(log, $"epoch {epoch}/{config.Epochs}", order.Length);
        double lossSum = 0, correct = 0;
        int seen = 0;
        int outlierBatch = outliers.Count > 0 ? config.OutlierBatch : 0;
        var buffer = new float[(config.BatchSize + outlierBatch) * builder.Size];
        // Time inside the network (forward, loss, backward, optimiser, weight average), apart from batch building and
        // tracking: what a profile of an epoch is about (metrics.jsonl: network_seconds next to seconds).
        var network = new Stopwatch();
        for (int start = 0; start < order.Length; start += config.BatchSize)
        {
            int b = Math.Min(config.BatchSize, order.Length - start);
            var labels = new long[b];
            for (int i = 0; i < b; i++)
            {
                var clip = train[order[start + i]];
                var background = config.Augment.BackgroundProbability > 0 && rng.NextDouble() < config.Augment.BackgroundProbability
                    ? train[rng.Next(train.Count)] : null;
                builder.Write(clip, buffer.AsSpan(i * builder.Size, builder.Size), rng, background);
                labels[i] = clip.Item.Label;
            }
            FreqMixStyle.Apply(buffer, b, builder.NMels, builder.Frames, config.Augment.FreqMixStyleProbability, config.Augment.FreqMixStyleAlpha, rng);
            var (lambda, partner) = Mixup(buffer, b, builder.Size, rng);
            // Outliers after the (mixed) clips, augmented the same way but never mixed: one forward pass, so BatchNorm
            // sees them as part of the batch.
            for (int i = 0; i < outlierBatch; i++)
                builder.Write(outliers[rng.Next(outliers.Count)], buffer.AsSpan((b + i) * builder.Size, builder.Size), rng);
            network.Start();
            using var scope = NewDisposeScope();
            var x = tensor(buffer.AsSpan(0, (b + outlierBatch) * builder.Size).ToArray(), [b + outlierBatch, 1, builder.NMels, builder.Frames]).to(device);
            var y = tensor(labels).to(device);
            var all = model.forward(x);
            var logits = outlierBatch > 0 ? all.narrow(0, 0, b) : all;
            var loss = nn.functional.cross_entropy(logits, y);
            using var scalars = new HeldScalars();
            if (partner is not null)
            {
                var partnerLoss = nn.functional.cross_entropy(logits, tensor(partner.Select(p => labels[p]).ToArray()).to(device));
                loss = loss.mul(scalars.Of(lambda)).add(partnerLoss.mul(scalars.Of(1 - lambda)), HeldScalars.One);
            }
            if (outlierBatch > 0)
            {
                // Cross-entropy to the uniform distribution: -mean over classes of log p, averaged over the outliers.
                var outlierLoss = nn.functional.log_softmax(all.narrow(0, b, outlierBatch), 1).mean([1]).mean().neg();
                loss = loss.add(outlierLoss, scalars.Of(config.OutlierWeight));
                tensorboard.add_scalar("train/outlier_loss", outlierLoss.item<float>(), globalStep);
            }
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            average?.Update();
            if (config.Scheduler == "onecycle")
                scheduler?.step();
            float lossValue = loss.item<float>();
            // Under mixup the dominant label (λ ≥ 0.5: the clip's own, else its partner's) is the one to predict.
            var target = partner is not null && lambda < 0.5f ? tensor(partner.Select(p => labels[p]).ToArray()).to(device) : y;
            correct += logits.argmax(1).eq(target).sum().item<long>();
            network.Stop();
            lossSum += lossValue * b;
            seen += b;
            tensorboard.add_scalar("train/loss", lossValue, globalStep);
            tensorboard.add_scalar("train/lr", (float)optimizer.ParamGroups.First().LearningRate, globalStep);
            globalStep++;
            bar.Report(seen, FormattableString.Invariant($"loss {lossSum / seen:0.000} acc {correct / seen:P1}"));
        }
        return (lossSum / seen, correct / seen, network.Elapsed);
    }

    /// <summary>Mixes each example with a random partner in place; returns λ and the partner indices (null when off).</summary>
    private (float Lambda, int[]? Partner) Mixup(float[] buffer, int count, int size, Random rng)
    {
        if (config.Augment.MixupAlpha <= 0 || count < 2)
            return (1f, null);
        float lambda = (float)BetaSampler.Symmetric(config.Augment.MixupAlpha, rng);
        var partner = Enumerable.Range(0, count).OrderBy(_ => rng.Next()).ToArray();
        var original = buffer.AsSpan(0, count * size).ToArray();
        for (int i = 0; i < count; i++)
        {
            var dst = buffer.AsSpan(i * size, size);
            var other = original.AsSpan(partner[i] * size, size);
            for (int k = 0; k < size; k++)
                dst[k] = lambda * dst[k] + (1 - lambda) * other[k];
        }
        return (lambda, partner);
    }

    /// <summary>Scores clips exactly as the service will (crop at 0, padded as the spec says), in eval mode without gradients.</summary>
    public static (int[] Predicted, float[][] Probabilities, double LossSum) Predict(AudioResNet18 model, BatchBuilder builder, IReadOnlyList<ClipFeatures> clips, Device device, int batchSize = 32)
    {
        model.eval();
        using var _ = no_grad();
        var predicted = new int[clips.Count];
        var probabilities = new float[clips.Count][];
        double lossSum = 0;
        var buffer = new float[batchSize * builder.Size];
        for (int start = 0; start < clips.Count; start += batchSize)
        {
            int b = Math.Min(batchSize, clips.Count - start);
            for (int i = 0; i < b; i++)
                builder.Write(clips[start + i], buffer.AsSpan(i * builder.Size, builder.Size), null);
            using var scope = NewDisposeScope();
            var x = tensor(buffer.AsSpan(0, b * builder.Size).ToArray(), [b, 1, builder.NMels, builder.Frames]).to(device);
            var logits = model.forward(x);
            // Outliers (label -1) have no loss to add.
            var labels = Enumerable.Range(start, b).Select(i => (long)clips[i].Item.Label).ToArray();
            if (labels.All(l => l >= 0))
                lossSum += nn.functional.cross_entropy(logits, tensor(labels).to(device), reduction: nn.Reduction.Sum).item<float>();
            var probs = nn.functional.softmax(logits, 1).cpu();
            var argmax = logits.argmax(1).cpu();
            for (int i = 0; i < b; i++)
            {
                predicted[start + i] = (int)argmax[i].item<long>();
                probabilities[start + i] = probs[i].data<float>().ToArray();
            }
        }
        return (predicted, probabilities, lossSum);
    }

    /// <summary>Scores clips as the exported model answers them: one window each when they fit in one (exactly the
    /// service's input), otherwise the mean over their windows (<see cref="ServedWindows"/>; the first window only
    /// with evaluation_windows "first").</summary>
    private Evaluation Evaluate(AudioResNet18 model, BatchBuilder builder, IReadOnlyList<ClipFeatures> clips, IReadOnlyList<string> classes, Device device)
    {
        var labels = clips.Select(c => c.Item.Label).ToList();
        if (config.EvaluationWindows == "first" || clips.All(c => !ServedWindows.MayHaveSeveralWindows(c, config.Features)))
        {
            var (predicted, _, lossSum) = Predict(model, builder, clips, device);
            return Evaluation.From(classes, labels, predicted, lossSum);
        }
        var probabilities = ServedWindows.ClipProbabilities(clips, config.Features, windows => Predict(model, builder, windows, device).Probabilities,
            clip => _heard.GetOrAdd(clip.Item.Path, path => HeardClip.Of(path, config.Features)), builder.LevelOffsetDb);
        var best = probabilities.Select(p => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(p)).ToArray();
        double loss = probabilities.Select((p, i) => -Math.Log(Math.Max(p[labels[i]], 1e-12))).Sum();
        return Evaluation.From(classes, labels, best, loss);
    }

    private void WriteSpectrogramSamples(AudioResNet18 model, BatchBuilder builder, IReadOnlyList<ClipFeatures> validation, IReadOnlyList<string> classes,
        Device device, TensorBoardMediaWriter media, RunDirectory run, int epoch)
    {
        var samples = validation.Take(config.TensorBoardSamples).ToList();
        if (samples.Count == 0)
            return;
        var (predicted, _, _) = Predict(model, builder, samples, device);
        var buffer = new float[builder.Size];
        for (int i = 0; i < samples.Count; i++)
        {
            builder.Write(samples[i], buffer, null);
            string tag = $"label_{Slug(classes[samples[i].Item.Label])}_pred_{Slug(classes[predicted[i]])}";
            var png = Path.Combine(run.Samples, $"epoch{epoch:000}-sample{i}.png");
            var mel = new LogMel(buffer, builder.NMels, builder.Frames);
            var image = SpectrogramRenderer.Render(mel, config.Features, $"{Path.GetFileName(samples[i].Item.Path)}: {tag}");
            var bytes = PngEncoder.Encode(image);
            File.WriteAllBytes(png, bytes);
            media.AddImage($"val_sample_{i}/{tag}", bytes, image.Width, image.Height, epoch);
        }
    }

    private void WriteAudioSamples(TensorBoardMediaWriter audio, IReadOnlyList<ClipFeatures> clips)
    {
        var frontEnd = new AudioFrontEnd(config.Features);
        foreach (var clip in clips.Take(config.TensorBoardSamples))
        {
            var samples = frontEnd.ToModelRate(frontEnd.DecodeFile(clip.Item.Path));
            audio.AddAudio($"audio/{Path.GetFileNameWithoutExtension(clip.Item.Path)}", samples, config.Features.SampleRate, 0);
        }
    }

    private optim.Optimizer CreateOptimizer(AudioResNet18 model) => config.Optimizer == "sgd"
        ? new StableSgd(model.parameters(), config.LearningRate, config.Momentum, config.WeightDecay)
        : new StableAdamW(model.parameters(), config.LearningRate, config.WeightDecay);

    private optim.lr_scheduler.LRScheduler? CreateScheduler(optim.Optimizer optimizer, int stepsPerEpoch) => config.Scheduler switch
    {
        "step" => optim.lr_scheduler.StepLR(optimizer, config.StepSize, config.Gamma),
        "cosine" => optim.lr_scheduler.CosineAnnealingLR(optimizer, config.Epochs),
        "onecycle" => optim.lr_scheduler.OneCycleLR(optimizer, config.LearningRate, total_steps: config.Epochs * stepsPerEpoch),
        _ => null,
    };

    private static (float Mean, float Std) Statistics(IReadOnlyList<ClipFeatures> clips)
    {
        double sum = 0, sumSq = 0;
        long n = 0;
        foreach (var c in clips)
        {
            foreach (var v in c.Data)
            {
                sum += v;
                sumSq += (double)v * v;
            }
            n += c.Data.Length;
        }
        double mean = n == 0 ? 0 : sum / n;
        return ((float)mean, (float)Math.Sqrt(Math.Max(n == 0 ? 1 : sumSq / n - mean * mean, 1e-12)));
    }

    private static string Slug(string s) => new(s.Select(ch => char.IsLetterOrDigit(ch) ? char.ToLowerInvariant(ch) : '_').ToArray());
}
