using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using AudioClassifier.Audio;
using AudioClassifier.Audio.Features;
using AudioClassifier.Audio.IO;

namespace AudioClassifier.Trainer.Data;

/// <summary>The full-length log-mel matrix of one clip ([n_mels, natural frames]) with its label.</summary>
public sealed record ClipFeatures(DatasetItem Item, float[] Data, int NMels, int Frames);

/// <summary>
/// Computes clip features with the shared front end, in parallel, caching each on disk under
/// sha256(file bytes) + sha256(FeatureSpec JSON): changing either the audio or any front-end parameter misses the
/// cache, and nothing is resampled inside the training loop. Matrices are stored at natural length so training can
/// crop and shift; cropping at offset 0 gives exactly what the service computes.
/// </summary>
public sealed class FeatureStore(FeatureSpec spec, string cacheDirectory)
{
    private readonly AudioFrontEnd _frontEnd = new(spec);
    // Cached matrices are uncropped and unpadded: the padding does not change them (and keeps old caches valid).
    private readonly string _specKey = Hash(Encoding.UTF8.GetBytes(FeatureSpecJson.Serialize(spec with { Padding = FramePadding.Zeros })))[..16];

    public FeatureSpec Spec => _frontEnd.Spec;

    public IReadOnlyList<ClipFeatures> Load(IReadOnlyList<DatasetItem> items, IProgress<int>? progress = null, int? threads = null)
    {
        var dir = Path.Combine(cacheDirectory, _specKey);
        Directory.CreateDirectory(dir);
        var results = new ClipFeatures[items.Count];
        int done = 0;
        var errors = new ConcurrentBag<string>();
        Parallel.For(0, items.Count, new ParallelOptions { MaxDegreeOfParallelism = threads ?? Environment.ProcessorCount }, i =>
        {
            try
            {
                results[i] = LoadOne(items[i], dir);
            }
            catch (Exception e) when (e is Audio.Decoding.AudioDecodeException or IOException)
            {
                errors.Add($"{items[i].Path}: {e.Message}");
            }
            progress?.Report(Interlocked.Increment(ref done));
        });
        if (!errors.IsEmpty)
            throw new DatasetException($"{errors.Count} clip(s) could not be decoded:{Environment.NewLine}{string.Join(Environment.NewLine, errors.Take(10))}");
        return results;
    }

    private ClipFeatures LoadOne(DatasetItem item, string dir)
    {
        var bytes = File.ReadAllBytes(item.Path);
        var path = Path.Combine(dir, Hash(bytes) + ".npy");
        if (File.Exists(path))
        {
            var (data, shape) = NpyFile.Read(path);
            return new ClipFeatures(item, data, shape[0], shape[1]);
        }
        var clip = Audio.Decoding.AudioDecoder.Decode(new ArraySegment<byte>(bytes), _frontEnd.DecodeOptions);
        var samples = _frontEnd.ToModelRate(clip);
        var full = LogMelExtractor.For(Spec).ComputeNatural(samples);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        NpyFile.Write(temp, full.Data, full.NMels, full.Frames);
        File.Move(temp, path, overwrite: true);
        return new ClipFeatures(item, full.Data, full.NMels, full.Frames);
    }

    private static string Hash(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
}
