using System.Diagnostics;
using System.Text.RegularExpressions;

namespace AudioClassifier.TestSupport;

/// <summary>
/// The real service as a separate process on 127.0.0.1 (Kestrel, a free port), configured through environment
/// variables as in production; stopped with SIGTERM.
/// </summary>
public sealed partial class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _log = [];
    private readonly TaskCompletionSource<Uri> _grpc = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="dll">Service assembly to run (default: the API project's build output).</param>
    /// <param name="urls">Value for --urls; null runs with the service's own default (port 8080).</param>
    public ServiceProcess(IDictionary<string, string?> environment, string? dll = null, string? urls = "http://127.0.0.1:0")
    {
        dll ??= Path.Combine(ApiOutputDirectory(), "AudioClassifier.Api.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)! };
        psi.ArgumentList.Add(dll);
        if (urls is not null)
        {
            psi.ArgumentList.Add("--urls");
            psi.ArgumentList.Add(urls);
        }
        psi.Environment.Remove("ASPNETCORE_URLS");
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["Logging__LogLevel__Default"] = "Information";
        // The gRPC listener on a free loopback port unless a test says otherwise (its default, 8081, would collide).
        psi.Environment["Service__GrpcUrl"] = "http://127.0.0.1:0";
        foreach (var (k, v) in environment)
        {
            if (v is null)
                psi.Environment.Remove(k); // null: the variable is not set at all (the setting's own default applies)
            else
                psi.Environment[k] = v;
        }
        _process = Process.Start(psi)!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (_log)
                _log.Add(e.Data);
            var grpc = GrpcPattern().Match(e.Data);
            if (grpc.Success)
                _grpc.TrySetResult(new Uri(grpc.Groups[1].Value));
            var m = ListeningPattern().Match(e.Data);
            if (m.Success)
                listening.TrySetResult(new Uri($"http://127.0.0.1:{m.Groups[2].Value}")); // traffic stays on loopback
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (_log)
                    _log.Add(e.Data);
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!listening.Task.Wait(StartupAllowance))
            throw new TimeoutException($"The service did not start listening:{Environment.NewLine}{Log}");
        BaseAddress = listening.Task.Result;
        // A guard against a hang, not a limit under test: the service's own budgets answer long before it.
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(3) };
    }

    public Uri BaseAddress { get; }

    /// <summary>The Open Inference Protocol gRPC address (cleartext HTTP/2), once the service has logged it.</summary>
    public Uri GrpcAddress => _grpc.Task.Wait(StartupAllowance) ? _grpc.Task.Result : throw new TimeoutException($"No gRPC address was logged:{Environment.NewLine}{Log}");

    public HttpClient Client { get; }

    public Process Process => _process;

    public string Log
    {
        get
        {
            lock (_log)
                return string.Join(Environment.NewLine, _log);
        }
    }

    /// <summary>How long a test waits for the service to start listening, load a model or reload one: about a second on
    /// an idle machine, but a shared CI machine once took over 30 s to warm a three-class model, and the tests then
    /// failed on nothing but that wait. Waiting longer costs nothing when the service is quick.</summary>
    public static readonly TimeSpan StartupAllowance = TimeSpan.FromMinutes(2);

    /// <summary>Polls /healthz/ready until it answers 200 or <see cref="StartupAllowance"/> passes (false then).</summary>
    public Task<bool> ReadyAsync() =>
        EventuallyAsync(async () => (await Client.GetAsync("/healthz/ready")).IsSuccessStatusCode, StartupAllowance);

    /// <summary>Whether the service's output comes to hold <paramref name="text"/> within the start-up allowance: its
    /// console logger writes on a thread of its own, so a line can trail the answer or event it belongs to.</summary>
    public Task<bool> LoggedAsync(string text) =>
        EventuallyAsync(() => Task.FromResult(Log.Contains(text, StringComparison.Ordinal)), StartupAllowance);

    /// <summary>Polls until <paramref name="condition"/> holds or the timeout passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
                return true;
            await Task.Delay(100);
        }
        return await condition();
    }

    /// <summary>Sends SIGTERM, as Kubernetes does.</summary>
    public void Terminate() => Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    public void Dispose()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            Terminate();
            if (!_process.WaitForExit(10_000))
                _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }

    /// <summary>The API project's build output for the configuration these tests were built with.</summary>
    private static string ApiOutputDirectory()
    {
        var testDir = new DirectoryInfo(AppContext.BaseDirectory); // .../tests/X/bin/<Configuration>/net10.0/linux-x64/
        string rid = testDir.Name, tfm = testDir.Parent!.Name, configuration = testDir.Parent.Parent!.Name;
        for (var dir = testDir; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "AudioClassifier.Api", "bin", configuration, tfm, rid);
            if (File.Exists(Path.Combine(candidate, "AudioClassifier.Api.dll")))
                return candidate;
        }
        throw new DirectoryNotFoundException("AudioClassifier.Api build output not found; build the solution first.");
    }

    [GeneratedRegex(@"Open Inference Protocol gRPC listening on (http://\S+)")]
    private static partial Regex GrpcPattern();

    [GeneratedRegex(@"Now listening on: http://(127\.0\.0\.1|0\.0\.0\.0|\[::\]):(\d+)")]
    private static partial Regex ListeningPattern();
}
