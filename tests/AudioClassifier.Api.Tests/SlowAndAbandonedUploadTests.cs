using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AudioClassifier.Api.Tests;

/// <summary>Uploads that stop halfway or trickle in must not tie the service up or leak: they are dropped and counted.</summary>
public sealed class SlowAndAbandonedUploadTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    [Fact]
    public async Task ClientThatDisconnectsMidUploadIsCountedAndTheServiceCarriesOn()
    {
        long before = await Disconnects();
        using (var socket = await Connect())
        {
            await socket.SendAsync(Headers(200_000));
            await socket.SendAsync(new byte[1000]);
        } // closed with 199 000 bytes missing
        Assert.True(await ServiceProcess.EventuallyAsync(async () => await Disconnects() > before, ServiceProcess.StartupAllowance));
        var wav = new ByteArrayContent(File.ReadAllBytes(SharedData.Path("reference", "inputs", "us8k-horn-short.wav")));
        Assert.Equal(HttpStatusCode.OK, (await fixture.Client.PostAsync("/classify", wav)).StatusCode);
    }

    [Fact]
    public async Task SlowLorisUploadIsCutOffByTheMinimumDataRate()
    {
        using var socket = await Connect();
        await socket.SendAsync(Headers(100_000));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        bool closed = false;
        // 500 B/s: above Kestrel's own minimum body data rate (240 B/s), which let 100 such uploads hold every request
        // slot for hours, and far below the service's (Service:MinUploadBytesPerSecond, 64 KiB/s after 5 s).
        // Cut off at 5-6 s here; a starved machine's heartbeats come late, so up to 60 s is allowed (at 500 B/s the
        // 100 kB body would keep the slot 200 s without the service's minimum rate).
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                await socket.SendAsync(new byte[50]);
                if (socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0)
                {
                    closed = true;
                    break;
                }
            }
            catch (SocketException)
            {
                closed = true;
                break;
            }
            await Task.Delay(100);
        }
        Assert.True(closed, "the slow upload was still open after 60 s");
        Assert.InRange(watch.Elapsed.TotalSeconds, 4, 60);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Client.GetAsync("/healthz/ready")).StatusCode);
    }

    private async Task<Socket> Connect()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, fixture.Service.BaseAddress.Port);
        return socket;
    }

    private static byte[] Headers(int contentLength) => Encoding.ASCII.GetBytes(
        $"POST /classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\nContent-Length: {contentLength}\r\n\r\n");

    private async Task<long> Disconnects()
    {
        // A counter appears once it has counted something; before that it reads 0.
        return (long)PrometheusText.Value(await fixture.Client.GetStringAsync("/metrics"), "audioclf_client_disconnects_total");
    }
}
