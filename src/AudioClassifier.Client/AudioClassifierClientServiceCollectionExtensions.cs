using Microsoft.Extensions.DependencyInjection;

namespace AudioClassifier.Client;

/// <summary>Registers <see cref="AudioClassifierClient"/> as a typed HttpClient with the shared resilience pipeline.</summary>
public static class AudioClassifierClientServiceCollectionExtensions
{
    public static IHttpClientBuilder AddAudioClassifierClient(this IServiceCollection services, Uri baseAddress,
        Func<AudioClassifierClientOptions, AudioClassifierClientOptions>? configure = null)
    {
        var options = new AudioClassifierClientOptions { BaseAddress = baseAddress };
        options = configure?.Invoke(options) ?? options;
        services.AddSingleton(options);
        services.AddSingleton(new ClientPipeline(options));
        return services.AddHttpClient<AudioClassifierClient>(client =>
        {
            client.BaseAddress = options.BaseAddress;
            client.Timeout = Timeout.InfiniteTimeSpan; // the pipeline's timeouts apply
        });
    }
}
