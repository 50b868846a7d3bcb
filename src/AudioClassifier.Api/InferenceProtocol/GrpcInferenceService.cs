using System.Diagnostics;
using AudioClassifier.Api.Endpoints;
using AudioClassifier.Api.Hosting;
using AudioClassifier.Api.InferenceProtocol.Grpc;
using AudioClassifier.Api.Observability;
using AudioClassifier.Onnx.Inference;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace AudioClassifier.Api.InferenceProtocol;

/// <summary>
/// The Open Inference Protocol's gRPC service (KServe v2 <c>inference.GRPCInferenceService</c>) on its own HTTP/2 port
/// (Service:GrpcUrl): the same model, inputs, outputs, limits, API key (request metadata), budget and batching as
/// REST infer. Outputs come back as raw_output_contents, as Triton sends them.
/// </summary>
public sealed class GrpcInferenceService(ModelHost host, ShutdownState shutdown, ServiceMetrics metrics, ApiKeyFilter apiKey, IOptions<ServiceOptions> options)
    : GRPCInferenceService.GRPCInferenceServiceBase
{
    private readonly ServiceOptions _settings = options.Value;

    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = host.IsReady && !shutdown.IsStopping });

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context)
    {
        var engine = Model(request.Name, request.Version, requireReady: false);
        return Task.FromResult(new ModelReadyResponse { Ready = engine is not null && !shutdown.IsStopping });
    }

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context)
    {
        var answer = new ServerMetadataResponse { Name = "audioclf", Version = InferenceProtocolEndpoints.ServerVersion };
        answer.Extensions.AddRange(InferenceProtocolEndpoints.Extensions);
        return Task.FromResult(answer);
    }

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        var engine = Model(request.Name, request.Version, requireReady: true)!;
        var c = engine.Contract;
        var answer = new ModelMetadataResponse { Name = c.ModelName, Platform = "onnxruntime_onnx" };
        answer.Versions.Add(c.ModelVersion);
        answer.Inputs.Add(Tensor(InferenceRunner.AudioInput, "BYTES", -1));
        answer.Inputs.Add(Tensor(InferenceRunner.FeaturesInput, "FP32", -1, 1, c.Features.NMels, c.Features.Frames));
        answer.Outputs.Add(Tensor(InferenceRunner.ProbabilitiesOutput, "FP32", -1, c.Labels.Count));
        answer.Outputs.Add(Tensor(InferenceRunner.LabelsOutput, "BYTES", -1));
        answer.Outputs.Add(Tensor(InferenceRunner.RecognitionScoreOutput, "FP32", -1));
        answer.Outputs.Add(Tensor(InferenceRunner.RecognisedOutput, "BOOL", -1));
        return Task.FromResult(answer);
    }

    [EnableRateLimiting(ClassifierServiceExtensions.ConcurrencyPolicy)]
    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        if (!apiKey.Accepts(context.RequestHeaders.GetValue(_settings.ApiKeyHeader.ToLowerInvariant())))
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"Missing or invalid API key: send it in the '{_settings.ApiKeyHeader}' metadata entry."));
        using var lease = host.Acquire() ?? throw new RpcException(new Status(StatusCode.Unavailable, $"The model is not loaded yet: {host.NotReadyReason}"));
        var engine = Model(request.ModelName, request.ModelVersion, requireReady: true)!;
        if (engine != lease.Engine)
            throw new RpcException(new Status(StatusCode.Unavailable, "The model was swapped during the request; retry."));

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        long started = Stopwatch.GetTimestamp();
        deadline.CancelAfter(TimeSpan.FromSeconds(_settings.InferenceTimeoutSeconds));
        try
        {
            var inputs = request.Inputs.Select((t, i) => Input(t, request.RawInputContents, i)).ToList();
            var outputs = request.Outputs.Select(o => new RequestedOutput(o.Name, Classification(o))).ToList();
            var results = await InferenceRunner.RunAsync(engine, inputs, outputs, _settings, deadline, started, metrics);
            var answer = new ModelInferResponse { ModelName = engine.Contract.ModelName, ModelVersion = engine.Contract.ModelVersion, Id = request.Id };
            foreach (var o in results)
            {
                var tensor = new ModelInferResponse.Types.InferOutputTensor { Name = o.Name, Datatype = o.Datatype };
                tensor.Shape.AddRange(o.Shape);
                answer.Outputs.Add(tensor);
                answer.RawOutputContents.Add(Raw(o));
            }
            return answer;
        }
        catch (InferenceProtocolException e)
        {
            throw new RpcException(new Status(Code(e.Status), e.Message));
        }
        catch (QueueFullException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"The request was not served within its budget (Service:InferenceTimeoutSeconds {_settings.InferenceTimeoutSeconds} s + Service:TimeoutSecondsPerAudioMinute {_settings.TimeoutSecondsPerAudioMinute} s per minute of audio)."));
        }
    }

    private AudioClassifierEngine? Model(string name, string? version, bool requireReady)
    {
        var (engine, error) = InferenceProtocolEndpoints.Resolve(name, string.IsNullOrEmpty(version) ? null : version, host);
        if (engine is not null)
            return engine;
        if (!host.IsReady)
            return requireReady ? throw new RpcException(new Status(StatusCode.Unavailable, $"The model is not loaded yet: {host.NotReadyReason}")) : null;
        var message = (error as Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<InferenceProtocolEndpoints.ProtocolError>)?.Value?.Error ?? "unknown model";
        throw new RpcException(new Status(StatusCode.NotFound, message));
    }

    private static InferInput Input(ModelInferRequest.Types.InferInputTensor t, IList<ByteString> raw, int index)
    {
        var shape = t.Shape.ToArray();
        if (shape.Any(d => d < 0))
            throw new InferenceProtocolException(400, $"Input '{t.Name}': shape {InferenceRunner.Shape(shape)} must hold non-negative sizes.");
        if (t.Datatype is not ("FP32" or "BYTES"))
            throw new InferenceProtocolException(400, $"Input '{t.Name}': datatype {t.Datatype} is not accepted (FP32 for '{InferenceRunner.FeaturesInput}', BYTES for '{InferenceRunner.AudioInput}').");
        if (raw.Count > 0)
        {
            if (index >= raw.Count)
                throw new InferenceProtocolException(400, $"Input '{t.Name}': raw_input_contents has {raw.Count} entries for more inputs.");
            var bytes = raw[index].Span;
            return t.Datatype == "FP32"
                ? new InferInput(t.Name, t.Datatype, shape, TensorBytes.ReadFp32(t.Name, bytes), null)
                : new InferInput(t.Name, t.Datatype, shape, null, TensorBytes.ReadBytes(t.Name, bytes));
        }
        return t.Datatype == "FP32"
            ? new InferInput(t.Name, t.Datatype, shape, t.Contents?.Fp32Contents.ToArray() ?? [], null)
            : new InferInput(t.Name, t.Datatype, shape, null, t.Contents?.BytesContents.Select(b => b.ToByteArray()).ToArray() ?? []);
    }

    private static int Classification(ModelInferRequest.Types.InferRequestedOutputTensor output) =>
        output.Parameters.TryGetValue("classification", out var p)
            ? p.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.Int64Param && p.Int64Param is >= 0 and <= int.MaxValue
                ? (int)p.Int64Param
                : throw new InferenceProtocolException(400, $"Output '{output.Name}': classification must be a non-negative int64_param.")
            : 0;

    private static ByteString Raw(InferOutput o) => ByteString.CopyFrom(TensorBytes.Write(o));

    private static ModelMetadataResponse.Types.TensorMetadata Tensor(string name, string datatype, params long[] shape)
    {
        var t = new ModelMetadataResponse.Types.TensorMetadata { Name = name, Datatype = datatype };
        t.Shape.AddRange(shape);
        return t;
    }

    private static StatusCode Code(int status) => status switch
    {
        404 => StatusCode.NotFound,
        401 => StatusCode.Unauthenticated,
        413 => StatusCode.ResourceExhausted,
        503 => StatusCode.Unavailable,
        _ => StatusCode.InvalidArgument,
    };
}
