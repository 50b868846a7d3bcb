using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AudioClassifier.Onnx.Inference;

/// <summary>Registers the engine so any ASP.NET Core (or generic host) backend can classify in-process.</summary>
public static class AudioClassifierServiceCollectionExtensions
{
    /// <summary>Adds a singleton <see cref="AudioClassifierEngine"/> (the model loads on first use).</summary>
    public static IServiceCollection AddAudioClassifier(this IServiceCollection services, AudioClassifierOptions options)
    {
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(sp => new AudioClassifierEngine(options, sp.GetService<ILogger<AudioClassifierEngine>>()));
        return services;
    }
}
