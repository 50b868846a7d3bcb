using AudioClassifier.Audio.Decoding;
using AudioClassifier.Audio.Dsp;
using AudioClassifier.Audio.Features;

namespace AudioClassifier.Audio;

/// <summary>
/// The one path from encoded audio to model input, shared by the trainer and the service: decode (format sniffed
/// from bytes), mix to mono, resample to the spec's rate, then log-mel. Holds only cached, immutable state.
/// </summary>
public sealed class AudioFrontEnd(FeatureSpec spec, DecodeOptions? decodeOptions = null)
{
    private readonly LogMelExtractor _extractor = LogMelExtractor.For(spec);

    /// <summary>The feature parameters in use.</summary>
    public FeatureSpec Spec => _extractor.Spec;

    /// <summary>The decoding limits in use.</summary>
    public DecodeOptions DecodeOptions { get; } = decodeOptions ?? DecodeOptions.Default;

    /// <summary>Decodes a stream to mono audio at its original rate (stopping between decoded chunks once the token is
    /// cancelled).</summary>
    public AudioClip Decode(Stream stream, CancellationToken cancellationToken = default) => AudioDecoder.Decode(stream, DecodeOptions, cancellationToken);

    /// <summary>Decodes a stream to mono audio at its original rate, reading it asynchronously.</summary>
    public Task<AudioClip> DecodeAsync(Stream stream, CancellationToken cancellationToken = default) => AudioDecoder.DecodeAsync(stream, DecodeOptions, cancellationToken);

    /// <summary>Decodes a file to mono audio at its original rate.</summary>
    public AudioClip DecodeFile(string path) => AudioDecoder.DecodeFile(path, DecodeOptions);

    /// <summary>Mono samples of the clip at <see cref="FeatureSpec.SampleRate"/>.</summary>
    public float[] ToModelRate(AudioClip clip) => Resampler.Resample(clip.Samples, clip.SampleRate, Spec.SampleRate);

    /// <summary>Log-mel matrix of audio already at the model rate.</summary>
    public LogMel Features(ReadOnlySpan<float> samplesAtModelRate) => _extractor.Compute(samplesAtModelRate);

    /// <summary>Log-mel matrix of a decoded clip.</summary>
    public LogMel Features(AudioClip clip) => _extractor.Compute(ToModelRate(clip));

    /// <summary>Log-mel matrix of an encoded stream.</summary>
    public LogMel Features(Stream stream) => Features(Decode(stream));

    /// <summary>Log-mel matrix of an audio file.</summary>
    public LogMel FeaturesFromFile(string path) => Features(DecodeFile(path));
}
