using System.CommandLine;
using System.Diagnostics;
using AudioClassifier.Audio;
using AudioClassifier.Audio.Decoding;
using AudioClassifier.Audio.Features;
using AudioClassifier.Audio.IO;
using AudioClassifier.Imaging;
using AudioClassifier.Terminal;

namespace AudioClassifier.Cli.Commands;

/// <summary><c>audioclf features</c>: writes the exact model input for one audio file as .npy (and optionally a PNG).</summary>
public static class FeaturesCommand
{
    public static Command Create()
    {
        var input = new Argument<FileInfo>("audio-file") { Description = "WAV, MP3 or Ogg Vorbis file (format detected from its bytes)." };
        var output = new Option<FileInfo>("--out", "-o") { Description = "Output .npy file (float32, [n_mels, frames], C order).", Required = true };
        var png = new Option<FileInfo?>("--png") { Description = "Also write a spectrogram picture to this PNG file." };
        var specOptions = new FeatureSpecOptions();

        var command = new Command("features", "Compute the log-mel matrix a model sees for an audio file.") { input, output, png };
        specOptions.AddTo(command);
        command.SetAction(result =>
        {
            var stdout = result.InvocationConfiguration.Output;
            var stderr = result.InvocationConfiguration.Error;
            try
            {
                var spec = specOptions.Resolve(result);
                var file = result.GetValue(input)!;
                if (!file.Exists)
                {
                    stderr.WriteLine($"error: {file.FullName} does not exist.");
                    return ExitCodes.InvalidArguments;
                }
                var watch = Stopwatch.StartNew();
                var frontEnd = new AudioFrontEnd(spec);
                var clip = frontEnd.DecodeFile(file.FullName);
                var mel = frontEnd.Features(clip);
                watch.Stop();

                var npy = result.GetValue(output)!;
                NpyFile.Write(npy.FullName, mel.Data, mel.NMels, mel.Frames);
                stdout.WriteLine($"{file.Name}: {clip.Format}, {clip.SampleRate} Hz, {clip.SourceChannels} ch, {clip.Duration.TotalSeconds:0.000} s");
                stdout.WriteLine($"features [{mel.NMels}, {mel.Frames}] in {watch.Elapsed.TotalMilliseconds:0.0} ms -> {npy.FullName}");
                if (result.GetValue(png) is { } picture)
                {
                    PngEncoder.Save(SpectrogramRenderer.Render(mel, spec, $"{file.Name} - log-mel ({spec.NMels} mels, {spec.SampleRate} Hz)"), picture.FullName);
                    stdout.WriteLine($"spectrogram -> {picture.FullName}");
                }
                return ExitCodes.Success;
            }
            catch (InvalidFeatureSpecException e)
            {
                stderr.WriteLine($"error: invalid feature settings: {e.Message}");
                return ExitCodes.InvalidArguments;
            }
            catch (AudioDecodeException e)
            {
                stderr.WriteLine($"error: cannot decode audio ({e.Kind}): {e.Message}");
                return ExitCodes.BadAudio;
            }
            catch (IOException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                return ExitCodes.Failure;
            }
        });
        return command;
    }
}
