namespace AudioClassifier.Api;

/// <summary>HTTP service settings, bound from the "Service" configuration section (appsettings.json, environment).</summary>
public sealed record ServiceOptions
{
    /// <summary>When set, /classify requires this value in the <see cref="ApiKeyHeader"/> header.</summary>
    public string? ApiKey { get; init; }
    public string ApiKeyHeader { get; init; } = "X-Api-Key";
    /// <summary>Largest request body accepted (Kestrel and multipart limits), in bytes. 0 (the default): enough for the
    /// longest clip (Classifier:MaxAudioSeconds) as 16-bit mono 48 kHz WAV, 57.7 MB for 600 s
    /// (<see cref="Hosting.CoherentLimits"/>); a smaller value fails at start.</summary>
    public long MaxBodyBytes { get; init; }
    /// <summary>Slowest upload accepted, in bytes per second averaged over the body once <see cref="UploadGraceSeconds"/>
    /// have passed (Kestrel's minimum request body data rate; a slower client is cut off with 408). A request holds one
    /// of <see cref="MaxConcurrentRequests"/> while its body arrives, and Kestrel's own minimum (240 B/s) let clients
    /// sending 500 B/s hold every slot for hours; 64 KiB/s (512 kbit/s) brings the longest body (57.7 MB) in within
    /// 15 minutes and a 5 s clip's WAV (441 kB) within the grace period. 0 turns the check off.</summary>
    public double MinUploadBytesPerSecond { get; init; } = 65536;
    /// <summary>Seconds an upload may take before <see cref="MinUploadBytesPerSecond"/> applies.</summary>
    public double UploadGraceSeconds { get; init; } = 5;
    /// <summary>A request's processing budget, from the end of its upload to its answer (decode, features, queue and
    /// run), plus <see cref="TimeoutSecondsPerAudioMinute"/> for each minute of audio once it is decoded.</summary>
    public double InferenceTimeoutSeconds { get; init; } = 10;
    /// <summary>Budget added per minute of decoded audio, so that the longest accepted clip (600 s: 239 windows) is
    /// servable: 10 s per minute gives a 10-minute clip 110 s.</summary>
    public double TimeoutSecondsPerAudioMinute { get; init; } = 10;
    /// <summary>Seconds a client is told to wait (Retry-After) when the service sheds load or is not ready.</summary>
    public int RetryAfterSeconds { get; init; } = 1;
    /// <summary>Longest delay between attempts to load a missing or broken model.</summary>
    public double ModelLoadMaxDelaySeconds { get; init; } = 10;
    /// <summary>Reload the model when its file changes (new version served without dropping requests).</summary>
    public bool WatchModelFile { get; init; } = true;
    /// <summary>With <see cref="WatchModelFile"/>: how often the model file's identity (its final target through every
    /// symlink, size and modification time) is also compared, for swaps that raise no file event.</summary>
    public double ModelPollSeconds { get; init; } = 2;
    /// <summary>Requests decoded and classified at once; more wait in the limiter queue (decoding costs CPU before the batch queue).</summary>
    public int MaxConcurrentRequests { get; init; } = 32;
    /// <summary>Requests allowed to wait for a slot; beyond it they are refused at once with 503 and Retry-After.</summary>
    public int RequestQueueLimit { get; init; } = 64;
    /// <summary>Where the Open Inference Protocol's gRPC service listens (cleartext HTTP/2); empty turns it off. Unset, it
    /// listens on <see cref="GrpcPort"/> of the API's own addresses, so narrowing --urls to 127.0.0.1 does not leave gRPC
    /// open to the network (<see cref="Hosting.ServiceEndpoints.GrpcEndpoints"/>). In appsettings.json, leave it out to
    /// keep that default: a JSON null reads as empty, which turns gRPC off.</summary>
    public string? GrpcUrl { get; init; }
    /// <summary>gRPC's port on the API's addresses when <see cref="GrpcUrl"/> is unset (0: any free port).</summary>
    public int GrpcPort { get; init; } = Hosting.ServiceEndpoints.DefaultGrpcPort;
    /// <summary>Time allowed to finish in-flight requests after SIGTERM.</summary>
    public double ShutdownDrainSeconds { get; init; } = 20;
    /// <summary>Audio files the web page offers to try with one click (GET /examples); none by default, since no
    /// dataset ships with the service. Each is named after its folder ("001 - Dog bark" → "Dog bark").</summary>
    public IReadOnlyList<string> ExampleClips { get; init; } = [];
    /// <summary>Credit shown under the examples (their licence requires it for ESC-10: CC BY 3.0).</summary>
    public string? ExamplesAttribution { get; init; }

    /// <summary>Every setting that cannot work, as "Service:Name ..." sentences (empty when all are usable).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Require(bool ok, string problem)
        {
            if (!ok)
                problems.Add(problem);
        }
        Require(!string.IsNullOrWhiteSpace(ApiKeyHeader), "Service:ApiKeyHeader must name a header.");
        Require(MaxBodyBytes >= 0, $"Service:MaxBodyBytes must be ≥ 0, 0 to derive it from Classifier:MaxAudioSeconds (got {MaxBodyBytes}).");
        Require(MinUploadBytesPerSecond >= 0, $"Service:MinUploadBytesPerSecond must be ≥ 0, 0 to turn the check off (got {MinUploadBytesPerSecond}).");
        Require(UploadGraceSeconds > 1, $"Service:UploadGraceSeconds must be more than 1 (Kestrel checks data rates once a second; got {UploadGraceSeconds}).");
        Require(InferenceTimeoutSeconds > 0, $"Service:InferenceTimeoutSeconds must be positive (got {InferenceTimeoutSeconds}).");
        Require(TimeoutSecondsPerAudioMinute >= 0, $"Service:TimeoutSecondsPerAudioMinute must be ≥ 0 (got {TimeoutSecondsPerAudioMinute}).");
        Require(RetryAfterSeconds >= 0, $"Service:RetryAfterSeconds must be ≥ 0 (got {RetryAfterSeconds}).");
        Require(ModelLoadMaxDelaySeconds > 0, $"Service:ModelLoadMaxDelaySeconds must be positive (got {ModelLoadMaxDelaySeconds}).");
        Require(ModelPollSeconds > 0, $"Service:ModelPollSeconds must be positive (got {ModelPollSeconds}).");
        Require(MaxConcurrentRequests >= 1, $"Service:MaxConcurrentRequests must be at least 1 (got {MaxConcurrentRequests}).");
        Require(RequestQueueLimit >= 0, $"Service:RequestQueueLimit must be ≥ 0 (got {RequestQueueLimit}).");
        Require(GrpcPort is >= 0 and <= 65535, $"Service:GrpcPort must be a port, 0 to 65535 (got {GrpcPort}).");
        Require(ShutdownDrainSeconds >= 0, $"Service:ShutdownDrainSeconds must be ≥ 0 (got {ShutdownDrainSeconds}).");
        foreach (var clip in ExampleClips)
            Require(File.Exists(clip) && Endpoints.ExampleEndpoints.ContentType(clip) is not null, $"Service:ExampleClips: '{clip}' is not a WAV, MP3 or Ogg file that exists.");
        Require(ExampleClips.Count == 0 || !string.IsNullOrWhiteSpace(ExamplesAttribution), "Service:ExamplesAttribution must credit the example clips' source.");
        return problems;
    }

    /// <summary>The processing budget of a request whose audio lasts <paramref name="audio"/>.</summary>
    public TimeSpan BudgetFor(TimeSpan audio) => TimeSpan.FromSeconds(InferenceTimeoutSeconds + audio.TotalMinutes * TimeoutSecondsPerAudioMinute);

    /// <summary>The budget while a request's audio is decoded, before its length is known: that of the longest audio
    /// a request may carry (<paramref name="maxAudioSeconds"/>, Classifier:MaxAudioSeconds), the most any accepted
    /// input can earn; the decoders stop when it runs out. Once decoded, the budget is tightened to
    /// <see cref="BudgetFor"/> the real length. (A fixed <see cref="InferenceTimeoutSeconds"/> here refused 600 s Ogg
    /// clips whose decoding alone took over 10 s while other requests shared the cores.)</summary>
    public TimeSpan DecodeBudget(double maxAudioSeconds) => BudgetFor(TimeSpan.FromSeconds(maxAudioSeconds));
}
