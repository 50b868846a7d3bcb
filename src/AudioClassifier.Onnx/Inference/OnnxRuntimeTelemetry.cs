using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace AudioClassifier.Onnx.Inference;

/// <summary>
/// Turns ONNX Runtime's telemetry off in this process before its environment exists. Since 1.29 the Linux build
/// starts a 1DS uploader when the environment is created, writing a device id and an event queue under
/// <c>~/.cache/Microsoft/DeveloperTools/.onnxruntime/</c>; <c>DisableTelemetryEvents</c> only applies afterwards, so
/// the process's own <c>ORT_DISABLE_TELEMETRY=1</c> (a full opt-out, read once at initialisation) is set first with
/// libc's setenv (.NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach native code).
/// </summary>
public static class OnnxRuntimeTelemetry
{
    private static readonly Lazy<OrtEnv> Environment = new(Disable);

    /// <summary>The process's ONNX Runtime environment, created with telemetry off (call before any session).</summary>
    public static OrtEnv Off() => Environment.Value;

    private static OrtEnv Disable()
    {
        if (!OperatingSystem.IsWindows())
            _ = SetEnv("ORT_DISABLE_TELEMETRY", "1", overwrite: 1);
        var env = OrtEnv.Instance();
        env.DisableTelemetryEvents(); // Windows' ETW provider, and any provider that honours the runtime switch
        return env;
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
