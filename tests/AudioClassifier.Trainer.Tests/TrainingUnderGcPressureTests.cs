using AudioClassifier.Audio.Features;
using AudioClassifier.Trainer.Training;

namespace AudioClassifier.Trainer.Tests;

/// <summary>
/// Training must not die or drift when the garbage collector runs at any moment. TorchSharp's implicit
/// <c>Scalar</c> temporaries (BatchNorm's <c>num_batches_tracked.add_(1)</c>, the optimisers' alphas) can be finalised
/// while the native call that reads them is still running; a second thread that collects without pause makes that
/// race likely within a few steps, as a user's long runs made it happen once in a while.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TrainingUnderGcPressureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-gc-").FullName;

    [Theory]
    [InlineData("adamw", false)]
    [InlineData("sgd", false)]
    [InlineData("adamw", true)]   // the band-centred second channel, with the weight average that copies the network
    public void ShortRunsUnderConstantCollectionFinishWithTheUndisturbedLosses(string optimizer, bool centredChannel)
    {
        var data = TinyDatasets.Folders(Path.Combine(_dir, "data"), 2, 3, 1, 2);
        var config = TrainingConfig.DefaultRecipe with
        {
            Dataset = data, ValFolds = [2], Epochs = 6, BatchSize = 2, Optimizer = optimizer, Momentum = 0.9, Dropout = 0.25, CentredChannel = centredChannel,
            EmaDecay = optimizer == "adamw" ? 0.9 : 0, Augment = new AugmentConfig { GainDb = 6 },
            Scheduler = "none", Threads = 2, RunsDir = Path.Combine(_dir, "runs"), CacheDir = Path.Combine(_dir, "cache"),
            TensorBoardSamples = 0, Features = FeatureSpec.Default with { NMels = 32, Frames = 24, WindowSeconds = 0.534, WindowHopSeconds = 0.267 },
        };
        var undisturbed = new ModelTrainer(config with { RunName = $"{optimizer}-{centredChannel}-calm" }, TextWriter.Null).Run();

        using var pressure = new CollectorThread();
        for (int run = 0; run < 4; run++)
        {
            var stressed = new ModelTrainer(config with { RunName = $"{optimizer}-{centredChannel}-stressed{run}" }, TextWriter.Null).Run();
            Assert.Equal(undisturbed.EpochTrainLoss, stressed.EpochTrainLoss);
            Assert.Equal(undisturbed.Best!.Loss, stressed.Best!.Loss);
        }
        Assert.True(pressure.Collections > 50, $"only {pressure.Collections} collections ran during the stressed runs");
    }

    [Fact]
    public void BuildingAndInitialisingModelsUnderConstantCollectionNeverFreesATensorInUse()
    {
        // A cross-validation died once at a fold's start (segfault in LibTorch while the network was being built and
        // ImageNet-initialised): a temporary tensor finalised while the native call reading it still ran.
        var reference = new Model.AudioResNet18(10, 0.3);
        Model.ImageNetInitializer.Apply(reference);
        reference.SetInputNormalization(-4.5f, 17.25f);
        static bool Weights(KeyValuePair<string, TorchSharp.torch.Tensor> p) =>
            p.Value.dtype == TorchSharp.torch.ScalarType.Float32 && !p.Key.StartsWith("fc.", StringComparison.Ordinal);
        var expected = reference.state_dict().Where(Weights).ToDictionary(p => p.Key, p => p.Value.data<float>().ToArray());
        using var pressure = new CollectorThread();
        for (int i = 0; i < 12; i++)
        {
            using var model = new Model.AudioResNet18(10, 0.3);
            Model.ImageNetInitializer.Apply(model);
            model.SetInputNormalization(-4.5f, 17.25f);
            foreach (var (name, tensor) in model.state_dict().Where(Weights))
                Assert.True(expected[name].AsSpan().SequenceEqual(tensor.data<float>().ToArray()), name);
        }
        Assert.True(pressure.Collections > 10, $"only {pressure.Collections} collections ran");
        reference.Dispose();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Collects and runs finalisers in a loop on its own thread until disposed.</summary>
    private sealed class CollectorThread : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private int _collections;

        public CollectorThread()
        {
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    Interlocked.Increment(ref _collections);
                }
            }) { IsBackground = true, Name = "gc-pressure" };
            _thread.Start();
        }

        public int Collections => Volatile.Read(ref _collections);

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }
}
