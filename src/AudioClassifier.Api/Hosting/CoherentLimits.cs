using AudioClassifier.Onnx.Inference;

namespace AudioClassifier.Api.Hosting;

/// <summary>
/// The Service and Classifier limits checked against each other at start, so that what the service advertises — clips
/// of up to Classifier:MaxAudioSeconds, Service:MaxConcurrentRequests of them at once — it can always serve: a body
/// limit too small for the longest clip, or a batch queue too short for the requests admitted, stops the service with
/// the reason instead of refusing valid requests later.
/// </summary>
public static class CoherentLimits
{
    /// <summary>The uncompressed format the body limit must hold the longest clip in: 16-bit mono PCM at 48 kHz.
    /// Longer, multichannel or 24/32-bit audio of that length is sent compressed (MP3, Ogg) or downmixed.</summary>
    public const int ReferenceBytesPerSecond = 48_000 * 2;

    /// <summary>Room in the body for a WAV header with extra chunks, multipart boundaries and part headers.</summary>
    public const long EnvelopeBytes = 64 * 1024;

    /// <summary>The body that holds <paramref name="seconds"/> of the reference format.</summary>
    public static long BodyBytesFor(double seconds) => (long)Math.Ceiling(seconds * ReferenceBytesPerSecond) + EnvelopeBytes;

    /// <summary>Seconds of the reference format a body of <paramref name="bytes"/> holds.</summary>
    public static double SecondsIn(long bytes) => Math.Max(0, bytes - EnvelopeBytes) / (double)ReferenceBytesPerSecond;

    /// <summary>The settings with derived values filled in: Service:MaxBodyBytes 0 (the default) becomes the body
    /// that holds Classifier:MaxAudioSeconds of the reference format (57.7 MB for 600 s).</summary>
    public static ServiceOptions Resolve(ServiceOptions service, AudioClassifierOptions classifier) =>
        service.MaxBodyBytes == 0 && classifier.MaxAudioSeconds > 0
            ? service with { MaxBodyBytes = BodyBytesFor(classifier.MaxAudioSeconds) }
            : service;

    /// <summary>Every combination of resolved settings that cannot serve what they advertise, as sentences naming
    /// the settings involved (empty when they agree). Settings invalid on their own are left to each section.</summary>
    public static IReadOnlyList<string> Problems(ServiceOptions service, AudioClassifierOptions classifier)
    {
        var problems = new List<string>();
        if (classifier.MaxAudioSeconds > 0 && service.MaxBodyBytes > 0 && service.MaxBodyBytes < BodyBytesFor(classifier.MaxAudioSeconds))
        {
            problems.Add($"Service:MaxBodyBytes ({service.MaxBodyBytes}) cannot hold the longest clip Classifier:MaxAudioSeconds allows " +
                $"({classifier.MaxAudioSeconds:0.###} s) as a 16-bit mono 48 kHz WAV ({BodyBytesFor(classifier.MaxAudioSeconds)} bytes with headers): " +
                $"raise MaxBodyBytes (0 derives it), or lower MaxAudioSeconds to {Math.Floor(SecondsIn(service.MaxBodyBytes))} or less.");
        }
        long admitted = (long)service.MaxConcurrentRequests * classifier.MaxBatchSize;
        if (classifier.DynamicBatching && service.MaxConcurrentRequests >= 1 && classifier.MaxBatchSize >= 1 && classifier.MaxQueueLength < admitted)
        {
            problems.Add($"Classifier:MaxQueueLength ({classifier.MaxQueueLength}) is below Service:MaxConcurrentRequests × Classifier:MaxBatchSize " +
                $"({service.MaxConcurrentRequests} × {classifier.MaxBatchSize} = {admitted}): each admitted request queues up to one batch of windows " +
                $"at a time, so requests the service has admitted could be refused as 'queue full'. Raise MaxQueueLength to {admitted} or lower the others.");
        }
        return problems;
    }
}
