using System.Runtime.InteropServices;
using TorchSharp;

namespace AudioClassifier.Trainer.Native;

/// <summary>
/// Makes TorchSharp loadable on this platform and picks the device: loads the libstdc++ shim that the build places
/// beside libLibTorchSharp.so (see build/TorchSharpNativeFix.targets) before TorchSharp's first call, and turns the
/// loader's misleading failure into a message that says what to do.
/// </summary>
public static class TorchRuntime
{
    private const string ShimName = "libaudioclf_glibcxx_shim.so";
    private const int RtldNow = 0x002, RtldGlobal = 0x100;
    private static readonly Lazy<torch.Device> LazyDevice = new(Initialize);

    /// <summary>The device training runs on: CUDA when this build has it and a GPU is present, else CPU.</summary>
    public static torch.Device Device => LazyDevice.Value;

    /// <summary>Loads the native libraries once; safe to call repeatedly.</summary>
    public static void EnsureLoaded() => _ = LazyDevice.Value;

    private static torch.Device Initialize()
    {
        if (OperatingSystem.IsLinux())
        {
            var shim = Path.Combine(AppContext.BaseDirectory, ShimName);
            if (File.Exists(shim) && dlopen(shim, RtldNow | RtldGlobal) == IntPtr.Zero)
                throw new InvalidOperationException($"Could not load {shim}: {Marshal.PtrToStringAnsi(dlerror())}");
        }
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        }
        catch (Exception e) when (e is NotSupportedException or TypeInitializationException or DllNotFoundException)
        {
            throw new InvalidOperationException(
                "TorchSharp's native library failed to load. On Debian 12 and other systems with libstdc++ older than " +
                "GLIBCXX_3.4.32 the build patches libLibTorchSharp.so and compiles " + ShimName + " with g++; rebuild " +
                "(dotnet build) with g++ installed. Underlying error: " + e.Message, e);
        }
    }

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern IntPtr dlopen(string fileName, int flags);

    [DllImport("libc", EntryPoint = "dlerror")]
    private static extern IntPtr dlerror();
}
