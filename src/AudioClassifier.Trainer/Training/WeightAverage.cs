using AudioClassifier.Trainer.Model;
using AudioClassifier.Trainer.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace AudioClassifier.Trainer.Training;

/// <summary>
/// An exponential moving average of a network's weights (its BatchNorm statistics copied as they are), updated after
/// every optimiser step; the averaged network is the one evaluated and kept. It owns its copy of the network.
/// </summary>
public sealed class WeightAverage : IDisposable
{
    private readonly AudioResNet18 _source;
    private readonly double _decay;
    private long _steps;

    public WeightAverage(AudioResNet18 source, double decay, Device device)
    {
        _source = source;
        _decay = decay;
        Model = new AudioResNet18(source.Classes, source.Dropout, source.CentredChannel);
        Model.load_state_dict(source.state_dict());
        Model.to(device);
        Model.eval();
    }

    /// <summary>The averaged network (always in eval mode).</summary>
    public AudioResNet18 Model { get; }

    public void Update()
    {
        double decay = Math.Min(_decay, (1.0 + _steps) / (10.0 + _steps));
        _steps++;
        using var _ = no_grad();
        using var s = new HeldScalars();
        Scalar keep = s.Of(decay), take = s.Of(1 - decay);
        foreach (var (average, current) in Model.parameters().Zip(_source.parameters()))
            average.mul_(keep).add_(current, take);
        foreach (var (average, current) in Model.buffers().Zip(_source.buffers()))
            average.copy_(current);
    }

    public void Dispose() => Model.Dispose();
}
