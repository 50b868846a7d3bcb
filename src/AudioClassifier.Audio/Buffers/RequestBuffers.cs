using System.Buffers;
using System.Runtime.CompilerServices;

namespace AudioClassifier.Audio.Buffers;

/// <summary>
/// Per-request buffers (an upload, a clip's samples): from the shared pool up to <see cref="PooledBytesLimit"/>, so the
/// common short clip costs no large-object allocation, and plain allocations above it, so the pool never keeps a long
/// clip's buffers after its request. Hand-written over <see cref="ArrayPool{T}.Shared"/> because of a measurement: with
/// every size pooled, two rounds of four 600 s clips left the service at 1.5 GB RSS (scripts/bench-long-clips.sh).
/// </summary>
public static class RequestBuffers
{
    /// <summary>Largest buffer taken from (and returned to) the pool: 4 MiB, a 5 s clip at 192 kHz float.</summary>
    public const int PooledBytesLimit = 4 << 20;

    /// <summary>An array of at least <paramref name="length"/> elements, contents undefined.</summary>
    public static T[] Rent<T>(int length) where T : unmanaged =>
        (long)length * Unsafe.SizeOf<T>() <= PooledBytesLimit ? ArrayPool<T>.Shared.Rent(length) : GC.AllocateUninitializedArray<T>(length);

    /// <summary>Gives back an array from <see cref="Rent{T}"/> (one too large for the pool is left to the GC).</summary>
    public static void Return<T>(T[] array) where T : unmanaged
    {
        if ((long)array.Length * Unsafe.SizeOf<T>() <= PooledBytesLimit)
            ArrayPool<T>.Shared.Return(array);
    }
}
