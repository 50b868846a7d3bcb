using System.Runtime.InteropServices;

namespace AudioClassifier.Onnx.Inference;

/// <summary>
/// Checks, without asking ONNX Runtime, whether its CUDA provider can work here: the NVIDIA driver, a visible GPU,
/// and the CUDA 13 / cuDNN 9 libraries the provider links against. Asking ONNX Runtime on a CPU-only host prints
/// its "Failed to load library libonnxruntime_providers_cuda.so" error at every start; this says why in one line.
/// </summary>
public static class CudaProbe
{
    // What libonnxruntime_providers_cuda.so (ONNX Runtime 1.31, CUDA 13) needs besides the driver.
    private static readonly string[] CudaLibraries =
        ["libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10", "libcufft.so.12", "libcudnn.so.9"];

    private const string ProviderLibrary = "libonnxruntime_providers_cuda.so";

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int CudaGetDeviceCount(out int count);

    private static readonly Lazy<CudaProbeResult> Cached = new(Run);

    /// <summary>The result for this process (probed once: libraries cannot appear while it runs).</summary>
    public static CudaProbeResult Result => Cached.Value;

    private static CudaProbeResult Run()
    {
        if (!OperatingSystem.IsLinux())
            return new(true, "not probed on this OS; ONNX Runtime decides");
        if (!ProviderLibraryShipped())
            return new(false, $"this build has no CUDA provider ({ProviderLibrary}; build with -p:OnnxRuntimeBackend=gpu)");
        if (!NativeLibrary.TryLoad("libcuda.so.1", out _))
            return new(false, "no NVIDIA driver (libcuda.so.1 not found)");
        if (!NativeLibrary.TryLoad("libcudart.so.13", out var cudart))
            return new(false, "the CUDA 13 runtime is missing (libcudart.so.13 not found)");
        if (NativeLibrary.TryGetExport(cudart, "cudaGetDeviceCount", out var getCount))
        {
            int error = Marshal.GetDelegateForFunctionPointer<CudaGetDeviceCount>(getCount)(out int devices);
            if (error != 0 || devices == 0)
                return new(false, error != 0 ? $"no usable GPU (cudaGetDeviceCount error {error})" : "no GPU visible to the driver");
        }
        var missing = CudaLibraries.Where(name => !NativeLibrary.TryLoad(name, out _)).ToList();
        return missing.Count > 0
            ? new(false, $"CUDA libraries missing: {string.Join(", ", missing)}")
            : new(true, "NVIDIA driver, GPU and CUDA 13 / cuDNN 9 libraries found");
    }

    private static bool ProviderLibraryShipped()
    {
        var dir = AppContext.BaseDirectory;
        return File.Exists(Path.Combine(dir, ProviderLibrary))
            || File.Exists(Path.Combine(dir, "runtimes", "linux-x64", "native", ProviderLibrary));
    }
}

/// <summary>Whether the CUDA provider can be tried, and why (or why not).</summary>
public sealed record CudaProbeResult(bool Usable, string Reason);
