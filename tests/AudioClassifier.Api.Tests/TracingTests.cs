using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AudioClassifier.Api.Tests;

/// <summary>
/// With OTEL_EXPORTER_OTLP_ENDPOINT set, a /classify request is traced over OTLP with a span per stage (read, decode,
/// features, inference) under the ASP.NET Core request span; without it no exporter runs. The collector here is a
/// plain HTTP listener receiving OTLP/HTTP protobuf.
/// </summary>
public sealed class TracingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-tracing-").FullName;

    [Fact]
    public async Task AClassificationIsExportedWithASpanPerStage()
    {
        int port = FreePort();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var received = new StringBuilder();
        var receiving = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await collector.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                lock (received)
                    received.Append(context.Request.Url!.AbsolutePath).Append(' ').Append(Encoding.Latin1.GetString(body.ToArray())).Append('\n');
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        using var service = new ServiceProcess(new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = TestModels.Write(_dir),
            ["Classifier__ExecutionProvider"] = "Cpu",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_EXPORTER_OTLP_TIMEOUT"] = "60000", // a slow machine's first export is not dropped at the default 10 s
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        });
        Assert.True(await service.ReadyAsync(), service.Log);
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(SharedData.Path("reference", "inputs", "long-12s.wav")));
        content.Headers.ContentType = new("audio/wav");
        Assert.Equal(HttpStatusCode.OK, (await service.Client.PostAsync("/classify", content)).StatusCode);

        string Received()
        {
            lock (received)
                return received.ToString();
        }
        Assert.True(await ServiceProcess.EventuallyAsync(() => Task.FromResult(new[] { "read", "decode", "features", "inference", "POST /classify" }.All(Received().Contains)), ServiceProcess.StartupAllowance),
            "spans received: " + Received().Length + " bytes");
        Assert.Contains("/v1/traces", Received());
        Assert.Contains("AudioClassifier.Engine", Received());
        Assert.DoesNotContain("/healthz/ready", Received()); // probes are not traced
        collector.Stop();
        await receiving;
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
