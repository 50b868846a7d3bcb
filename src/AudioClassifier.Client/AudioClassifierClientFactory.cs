using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AudioClassifier.Client;

/// <summary>Creates the client registered under a name, with that name's HttpClient (and resilience handler) and options.</summary>
public sealed class AudioClassifierClientFactory(IHttpClientFactory httpClients, IOptionsMonitor<AudioClassifierClientOptions> monitor)
{
    private readonly IHttpClientFactory http = httpClients;
    private readonly IOptionsMonitor<AudioClassifierClientOptions> options = monitor;

    /// <summary>The client registered with <c>AddAudioClassifierClient(name, ...)</c>.</summary>
    public AudioClassifierClient Create(string name = AudioClassifierClientServiceCollectionExtensions.DefaultName) =>
        new(http.CreateClient(name), options.Get(name));

    /// <summary>A client without a host's container (a console tool): its own small service provider, disposed with it.</summary>
    public static AudioClassifierClient CreateStandalone(Action<AudioClassifierClientOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddAudioClassifierClient(configure);
        var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<AudioClassifierClientFactory>();
        return new AudioClassifierClient(factory.http.CreateClient(AudioClassifierClientServiceCollectionExtensions.DefaultName), factory.options.Get(AudioClassifierClientServiceCollectionExtensions.DefaultName), owner: provider);
    }
}
