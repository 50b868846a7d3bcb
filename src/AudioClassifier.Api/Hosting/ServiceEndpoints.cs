using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AudioClassifier.Api.Hosting;

/// <summary>
/// Kestrel's listeners: the HTTP API on --urls / ASPNETCORE_URLS (default http://0.0.0.0:8080), and the Open Inference
/// Protocol's gRPC service on its own cleartext HTTP/2 port (Service:GrpcUrl; by default port 8081 on the API's own
/// addresses; empty turns it off). Both are set here because Kestrel ignores --urls once any endpoint is configured in code.
/// </summary>
public sealed class ServiceEndpoints
{
    public const string DefaultHttpUrl = "http://0.0.0.0:8080";
    public const int DefaultGrpcPort = 8081;

    private readonly List<ListenOptions> _grpc = [];

    /// <summary>The API's URLs: --urls / ASPNETCORE_URLS, else one per ASPNETCORE_HTTP_PORTS port on every address, else
    /// <see cref="DefaultHttpUrl"/>.</summary>
    public static string HttpUrls(string? urls, string? httpPorts) =>
        !string.IsNullOrWhiteSpace(urls) ? urls
        : !string.IsNullOrWhiteSpace(httpPorts) ? string.Join(';', httpPorts.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"http://0.0.0.0:{p}"))
        : DefaultHttpUrl;

    /// <summary>The HTTP URLs and the gRPC URL, checked: http only, an IP address (or localhost, *, +) and a port.</summary>
    public static IReadOnlyList<string> Problems(string? urls, string? grpcUrl)
    {
        var problems = new List<string>();
        foreach (var url in Split(urls))
        {
            if (Parse(url) is null)
                problems.Add($"--urls / ASPNETCORE_URLS entry '{url}' must be http://<IP address, localhost, * or +>:<port> (TLS is terminated in front of the service).");
        }
        if (!string.IsNullOrWhiteSpace(grpcUrl) && Parse(grpcUrl) is null)
            problems.Add($"Service:GrpcUrl '{grpcUrl}' must be http://<IP address, localhost, * or +>:<port>, or empty to turn gRPC off.");
        return problems;
    }

    /// <summary>Where gRPC listens: Service:GrpcUrl when set (empty: nowhere), else port 8081 on each address the API
    /// listens on (one listener on the any-address when the API has one, since it covers the others). Before, the
    /// default was every interface whatever --urls said, so a service narrowed to 127.0.0.1 still took gRPC calls
    /// from the network.</summary>
    public static IReadOnlyList<string> GrpcUrls(string? urls, string? grpcUrl)
    {
        if (grpcUrl is not null)
            return string.IsNullOrWhiteSpace(grpcUrl) ? [] : [grpcUrl.Trim()];
        var addresses = Split(urls).Select(Parse).OfType<IPEndPoint>().Select(e => e.Address).Distinct().ToList();
        var any = addresses.FirstOrDefault(a => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any));
        return (any is null ? addresses : [any]).Select(a => $"http://{new IPEndPoint(a, DefaultGrpcPort)}").ToList();
    }

    /// <summary>Binds every listener; the HTTP ones first (their addresses are logged first).</summary>
    public void Configure(KestrelServerOptions kestrel, string? urls, string? grpcUrl)
    {
        foreach (var url in Split(urls))
            kestrel.Listen(Parse(url)!, o => o.Protocols = HttpProtocols.Http1);
        foreach (var url in GrpcUrls(urls, grpcUrl))
            kestrel.Listen(Parse(url)!, o => { o.Protocols = HttpProtocols.Http2; _grpc.Add(o); });
    }

    /// <summary>The gRPC listeners' bound addresses once the server has started (their real ports when configured as 0).</summary>
    public IReadOnlyList<string> GrpcAddresses => _grpc.Select(o => o.IPEndPoint).OfType<IPEndPoint>().Select(e => $"http://{e}").ToList();

    private static IEnumerable<string> Split(string? urls) =>
        (string.IsNullOrWhiteSpace(urls) ? DefaultHttpUrl : urls).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static IPEndPoint? Parse(string url)
    {
        var normalised = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(normalised, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.IsDefaultPort && !normalised.Contains(":80", StringComparison.Ordinal))
            return null;
        var host = uri.Host.Trim('[', ']');
        var address = host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var ip) ? ip : null;
        return address is null ? null : new IPEndPoint(address, uri.Port);
    }
}

/// <summary>Start-up logging of the listeners configured in code.</summary>
public static class ServiceEndpointsLogging
{
    /// <summary>Logs the gRPC listener's bound address once the server has started (Kestrel logs the HTTP ones).</summary>
    public static WebApplication LogGrpcAddressOnStart(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var grpc in app.Services.GetRequiredService<ServiceEndpoints>().GrpcAddresses)
                app.Logger.LogInformation("Open Inference Protocol gRPC listening on {Address}", grpc);
        });
        return app;
    }
}
