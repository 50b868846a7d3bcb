using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AudioClassifier.Api.Hosting;

/// <summary>
/// Kestrel's listeners: the HTTP API on --urls / ASPNETCORE_URLS (default http://0.0.0.0:8080), and the Open Inference
/// Protocol's gRPC service on its own cleartext HTTP/2 port (Service:GrpcUrl; by default Service:GrpcPort, 8081, on the
/// API's own addresses; empty turns it off). Both are set here because Kestrel ignores --urls once any endpoint is configured in code.
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

    /// <summary>The HTTP URLs and the gRPC URL, checked: http only, an IP address (or localhost, *, +) and a port; and
    /// gRPC on a port of its own.</summary>
    public static IReadOnlyList<string> Problems(string? urls, string? grpcUrl, int grpcPort)
    {
        var problems = new List<string>();
        foreach (var url in Split(urls))
        {
            if (Parse(url) is null)
                problems.Add($"--urls / ASPNETCORE_URLS entry '{url}' must be http://<IP address, localhost, * or +>:<port> (TLS is terminated in front of the service).");
        }
        if (!string.IsNullOrWhiteSpace(grpcUrl) && Parse(grpcUrl) is null)
            problems.Add($"Service:GrpcUrl '{grpcUrl}' must be http://<IP address, localhost, * or +>:<port>, or empty to turn gRPC off.");
        if (problems.Count > 0 || grpcPort is < 0 or > 65535) // a bad port is ServiceOptions' to report
            return problems;
        var http = Split(urls).Select(u => Parse(u)!).ToList();
        foreach (var grpc in GrpcEndpoints(urls, grpcUrl, grpcPort).Where(g => g.Port != 0 && http.Any(h => Overlap(h, g))))
            problems.Add($"gRPC would listen on {grpc}, where the HTTP API listens too: give {(grpcUrl is null ? "Service:GrpcPort" : "Service:GrpcUrl")} another port, or set Service:GrpcUrl empty to turn gRPC off.");
        return problems;
    }

    /// <summary>Where gRPC listens: Service:GrpcUrl when set (empty: nowhere), else Service:GrpcPort on each address the
    /// API listens on — the IPv6 any-address alone when the API has it (Kestrel binds it for IPv4 too), the IPv4
    /// any-address with the API's IPv6 addresses when it has that one. Before, the default was every interface whatever
    /// --urls said, so a service narrowed to 127.0.0.1 still took gRPC calls from the network.</summary>
    public static IReadOnlyList<IPEndPoint> GrpcEndpoints(string? urls, string? grpcUrl, int grpcPort)
    {
        if (grpcUrl is not null)
            return string.IsNullOrWhiteSpace(grpcUrl) ? [] : [Parse(grpcUrl)!];
        var addresses = Split(urls).Select(Parse).OfType<IPEndPoint>().Select(e => e.Address).Distinct().ToList();
        if (addresses.Contains(IPAddress.IPv6Any))
            addresses = [IPAddress.IPv6Any];
        else if (addresses.Contains(IPAddress.Any))
            addresses = [IPAddress.Any, .. addresses.Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)];
        return addresses.Select(a => new IPEndPoint(a, grpcPort)).ToList();
    }

    /// <summary>Binds every listener; the HTTP ones first (their addresses are logged first).</summary>
    public void Configure(KestrelServerOptions kestrel, string? urls, string? grpcUrl, int grpcPort)
    {
        foreach (var url in Split(urls))
            kestrel.Listen(Parse(url)!, o => o.Protocols = HttpProtocols.Http1);
        foreach (var endpoint in GrpcEndpoints(urls, grpcUrl, grpcPort))
            kestrel.Listen(endpoint, o => { o.Protocols = HttpProtocols.Http2; _grpc.Add(o); });
    }

    /// <summary>The gRPC listeners' bound addresses once the server has started (their real ports when configured as 0).</summary>
    public IReadOnlyList<string> GrpcAddresses => _grpc.Select(o => o.IPEndPoint).OfType<IPEndPoint>().Select(e => $"http://{e}").ToList();

    private static bool Overlap(IPEndPoint a, IPEndPoint b) =>
        a.Port == b.Port && (a.Address.Equals(b.Address) || IsAny(a.Address) || IsAny(b.Address));

    private static bool IsAny(IPAddress a) => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any);

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
