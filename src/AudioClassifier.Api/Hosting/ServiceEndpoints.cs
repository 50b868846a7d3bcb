using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AudioClassifier.Api.Hosting;

/// <summary>
/// Kestrel's listeners: the HTTP API on --urls / ASPNETCORE_URLS (default http://0.0.0.0:8080), and the Open Inference
/// Protocol's gRPC service on its own cleartext HTTP/2 port (Service:GrpcUrl, default http://0.0.0.0:8081; empty turns
/// it off). Both are set here because Kestrel ignores --urls once any endpoint is configured in code.
/// </summary>
public sealed class ServiceEndpoints
{
    public const string DefaultHttpUrl = "http://0.0.0.0:8080";

    private ListenOptions? _grpc;

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

    /// <summary>Binds every listener; the HTTP ones first (their addresses are logged first).</summary>
    public void Configure(KestrelServerOptions kestrel, string? urls, string? grpcUrl)
    {
        foreach (var url in Split(urls))
            kestrel.Listen(Parse(url)!, o => o.Protocols = HttpProtocols.Http1);
        if (!string.IsNullOrWhiteSpace(grpcUrl))
            kestrel.Listen(Parse(grpcUrl)!, o => { o.Protocols = HttpProtocols.Http2; _grpc = o; });
    }

    /// <summary>The gRPC listener's bound address once the server has started (its real port when configured as 0).</summary>
    public string? GrpcAddress => _grpc?.IPEndPoint is { } e ? $"http://{e}" : null;

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
            if (app.Services.GetRequiredService<ServiceEndpoints>().GrpcAddress is { } grpc)
                app.Logger.LogInformation("Open Inference Protocol gRPC listening on {Address}", grpc);
        });
        return app;
    }
}
