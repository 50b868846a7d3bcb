using TorchSharp;

namespace AudioClassifier.Trainer.Native;

/// <summary>
/// Numbers handed to LibTorch as <see cref="Scalar"/>s whose lifetime the caller controls. TorchSharp 0.107 turns a
/// number into a Scalar implicitly and leaves it to the finaliser; a collection that runs while the native call is
/// still reading it frees it under the call, and LibTorch then fails ("toLong/toFloat at c10/core/Scalar.h", "argument
/// alpha must not be a floating point number") or, worse, computes with whatever the memory now holds. Hand-written
/// because no TorchSharp release served here fixes it (upstream PR dotnet/TorchSharp#1496 is open):
/// everything the training step passes to LibTorch as a number goes through <see cref="One"/> or a lease.
/// </summary>
public sealed class HeldScalars : IDisposable
{
    private readonly List<Scalar> _held = [];

    /// <summary>The integer 1, alive for the whole process: the alpha of plain additions and BatchNorm's step count.</summary>
    public static Scalar One { get; } = CreateOne();

    /// <summary>A floating-point scalar that stays alive until this lease is disposed.</summary>
    public Scalar Of(double value) => Hold(value.ToScalar());

    /// <summary>An integer scalar that stays alive until this lease is disposed.</summary>
    public Scalar Of(long value) => Hold(value.ToScalar());

    public void Dispose()
    {
        foreach (var scalar in _held)
            scalar.Dispose();
        _held.Clear();
    }

    private Scalar Hold(Scalar scalar)
    {
        _held.Add(scalar);
        return scalar;
    }

    private static Scalar CreateOne()
    {
        TorchRuntime.EnsureLoaded();
        return 1L.ToScalar();
    }
}
