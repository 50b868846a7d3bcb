using System.Buffers.Binary;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AudioClassifier.Api.InferenceProtocol.Grpc;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace AudioClassifier.Api.Tests;

/// <summary>
/// The Open Inference Protocol's gRPC service through a client generated from the published .proto: health, metadata,
/// infer with an encoded clip (contents and raw contents) matching REST, protocol errors as gRPC status codes, and
/// ModelReady following the service's readiness.
/// </summary>
public sealed class GrpcInferenceTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    private const string Model = "test-resnet18";

    private GRPCInferenceService.GRPCInferenceServiceClient Client() =>
        new(GrpcChannel.ForAddress(fixture.Service.GrpcAddress));

    [Fact]
    public async Task InferWithAnEncodedClipMatchesRest()
    {
        var client = Client();
        Assert.True((await client.ServerLiveAsync(new ServerLiveRequest())).Live);
        Assert.True((await client.ServerReadyAsync(new ServerReadyRequest())).Ready);
        Assert.True((await client.ModelReadyAsync(new ModelReadyRequest { Name = Model })).Ready);
        var server = await client.ServerMetadataAsync(new ServerMetadataRequest());
        Assert.Contains("classification", server.Extensions);
        var meta = await client.ModelMetadataAsync(new ModelMetadataRequest { Name = Model });
        Assert.Equal(["audio", "log_mel"], meta.Inputs.Select(i => i.Name));
        Assert.Equal([-1L, 1, 32, 44], meta.Inputs[1].Shape);

        var request = new ModelInferRequest { ModelName = Model, Id = "g1" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "audio", Datatype = "BYTES", Contents = new InferTensorContents() };
        input.Shape.Add(1);
        input.Contents.BytesContents.Add(ByteString.CopyFrom(Clips.Wav));
        request.Inputs.Add(input);
        var answer = await client.ModelInferAsync(request);
        Assert.Equal("g1", answer.Id);
        Assert.Equal(["probabilities", "labels", "recognition_score", "recognised"], answer.Outputs.Select(o => o.Name));
        Assert.Equal(["FP32", "BYTES", "FP32", "BOOL"], answer.Outputs.Select(o => o.Datatype));
        Assert.Equal(["probabilities", "labels", "recognition_score", "recognised"], meta.Outputs.Select(o => o.Name));
        // An uncalibrated model recognises every sound; its score is the best probability, one byte per BOOL.
        Assert.Equal(new byte[] { 1 }, answer.RawOutputContents[3].ToByteArray());
        var probabilities = Floats(answer.RawOutputContents[0].Span);
        Assert.Equal([1L, 3], answer.Outputs[0].Shape);

        var rest = await fixture.Client.PostAsJsonAsync($"/v2/models/{Model}/infer", new
        {
            inputs = new[] { new { name = "audio", datatype = "BYTES", shape = new[] { 1 }, data = new[] { Convert.ToBase64String(Clips.Wav) } } },
        });
        var restProbabilities = (await rest.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(restProbabilities, probabilities);
        // labels: BYTES raw contents, each element length-prefixed.
        var label = Encoding.UTF8.GetString(answer.RawOutputContents[1].Span[4..]);
        Assert.Equal(TestModels.Labels[Array.IndexOf(probabilities, probabilities.Max())], label);
        Assert.Equal(probabilities.Max(), Floats(answer.RawOutputContents[2].Span).Single(), 5);

        // The same clip as raw input contents (BYTES, length-prefixed) gives the same answer.
        var raw = new ModelInferRequest { ModelName = Model, ModelVersion = "0.0.1" };
        var rawInput = new ModelInferRequest.Types.InferInputTensor { Name = "audio", Datatype = "BYTES" };
        rawInput.Shape.Add(1);
        raw.Inputs.Add(rawInput);
        var prefixed = new byte[4 + Clips.Wav.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(prefixed, (uint)Clips.Wav.Length);
        Clips.Wav.CopyTo(prefixed, 4);
        raw.RawInputContents.Add(ByteString.CopyFrom(prefixed));
        var output = new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "probabilities" };
        raw.Outputs.Add(output);
        var rawAnswer = await client.ModelInferAsync(raw);
        Assert.Single(rawAnswer.Outputs);
        Assert.Equal(probabilities, Floats(rawAnswer.RawOutputContents[0].Span));
    }

    [Fact]
    public async Task ProblemsAreGrpcStatusCodesNamingThem()
    {
        var client = Client();
        var unknown = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelMetadataAsync(new ModelMetadataRequest { Name = "other" }));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        var wrongVersion = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelReadyAsync(new ModelReadyRequest { Name = Model, Version = "9.9" }));
        Assert.Equal(StatusCode.NotFound, wrongVersion.StatusCode);

        var request = new ModelInferRequest { ModelName = Model };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "log_mel", Datatype = "FP32", Contents = new InferTensorContents() };
        input.Shape.AddRange([1, 1, 32, 44]);
        input.Contents.Fp32Contents.AddRange([1f, 2f]);
        request.Inputs.Add(input);
        var bad = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelInferAsync(request));
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        Assert.Contains("(1408 values) but 2 were sent", bad.Status.Detail);

        input.Datatype = "INT64";
        bad = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelInferAsync(request));
        Assert.Contains("datatype INT64 is not accepted", bad.Status.Detail);
    }

    [Fact]
    public async Task ModelReadyFollowsTheServicesReadiness()
    {
        // A service whose model file does not exist yet: live, not ready; ready once the file arrives.
        var dir = Directory.CreateTempSubdirectory("audioclf-grpc-").FullName;
        try
        {
            var path = Path.Combine(dir, "late.onnx");
            using var service = new ServiceProcess(new Dictionary<string, string?>
            {
                ["Classifier__ModelPath"] = path,
                ["Classifier__ExecutionProvider"] = "Cpu",
                ["Service__ModelLoadMaxDelaySeconds"] = "0.3",
            });
            var client = new GRPCInferenceService.GRPCInferenceServiceClient(GrpcChannel.ForAddress(service.GrpcAddress));
            Assert.True((await client.ServerLiveAsync(new ServerLiveRequest())).Live);
            Assert.False((await client.ServerReadyAsync(new ServerReadyRequest())).Ready);
            Assert.False((await client.ModelReadyAsync(new ModelReadyRequest { Name = Model })).Ready);
            File.Move(TestModels.Write(dir), path);
            Assert.True(await ServiceProcess.EventuallyAsync(async () => (await client.ModelReadyAsync(new ModelReadyRequest { Name = Model })).Ready, ServiceProcess.StartupAllowance), service.Log);
            Assert.True((await client.ServerReadyAsync(new ServerReadyRequest())).Ready);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task WithoutAGrpcUrlGrpcListensOnlyWhereTheApiDoes()
    {
        // The API narrowed to loopback: gRPC (Service:GrpcPort, here any free port rather than 8081, which another
        // service on the machine may hold) follows it there instead of listening on every interface.
        using var service = new ServiceProcess(new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = fixture.ModelPath,
            ["Classifier__ExecutionProvider"] = "Cpu",
            ["Service__GrpcUrl"] = null,
            ["Service__GrpcPort"] = "0",
        });
        Assert.Equal("127.0.0.1", service.GrpcAddress.Host);
        Assert.NotEqual(0, service.GrpcAddress.Port);
        Assert.True(await service.ReadyAsync(), service.Log);
        Assert.True(await service.LoggedAsync("Application started"), service.Log);
        Assert.Single(Regex.Matches(service.Log, "gRPC listening on"));
        Assert.DoesNotContain("0.0.0.0", service.Log);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(GrpcChannel.ForAddress(service.GrpcAddress));
        Assert.True((await client.ServerLiveAsync(new ServerLiveRequest())).Live);
    }

    [Fact]
    public async Task AnEmptyGrpcUrlTurnsGrpcOff()
    {
        using var service = new ServiceProcess(new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = fixture.ModelPath,
            ["Classifier__ExecutionProvider"] = "Cpu",
            ["Service__GrpcUrl"] = "",
        });
        Assert.True(await service.ReadyAsync(), service.Log);
        Assert.True(await service.LoggedAsync("Application started"), service.Log);
        await Task.Delay(500); // the start-up callbacks log in reverse order: gRPC's line would follow "Application started"
        Assert.DoesNotContain("gRPC listening", service.Log);
        Assert.Single(Regex.Matches(service.Log, "Now listening on"));
    }

    private static float[] Floats(ReadOnlySpan<byte> bytes)
    {
        var values = new float[bytes.Length / 4];
        for (int i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * i));
        return values;
    }
}
