using AudioClassifier.Api.Hosting;
using AudioClassifier.Onnx.Contract;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AudioClassifier.Api.Endpoints;

/// <summary>The health and model-metadata paths of the Open Inference Protocol (KServe v2), for tooling that speaks it.</summary>
public static class InferenceProtocolEndpoints
{
    public static IEndpointRouteBuilder MapInferenceProtocolEndpoints(this IEndpointRouteBuilder app)
    {
        var v2 = app.MapGroup("/v2").WithTags("Open Inference Protocol v2");
        v2.MapGet("/health/live", () => TypedResults.Ok(new LiveStatus(true))).WithName("V2Live").WithSummary("Server liveness.");
        v2.MapGet("/health/ready", Results<Ok<ReadyStatus>, JsonHttpResult<ReadyStatus>> (ModelHost host, ShutdownState shutdown) =>
                host.IsReady && !shutdown.IsStopping ? TypedResults.Ok(new ReadyStatus(true)) : TypedResults.Json(new ReadyStatus(false), statusCode: StatusCodes.Status503ServiceUnavailable))
            .WithName("V2Ready").WithSummary("Server readiness.");
        v2.MapGet("/models/{name}", Results<Ok<ModelMetadata>, ProblemHttpResult> (string name, ModelHost host, HttpContext context) =>
            {
                if (host.Current is not { } engine)
                    return Problems.Unavailable(context, "Model not ready", $"The model is not loaded yet: {host.NotReadyReason}", 1);
                var c = engine.Contract;
                if (!string.Equals(name, c.ModelName, StringComparison.Ordinal))
                    return Problems.Create(StatusCodes.Status404NotFound, "Unknown model", $"This server serves '{c.ModelName}', not '{name}'.");
                return TypedResults.Ok(new ModelMetadata(c.ModelName, [c.ModelVersion], "onnxruntime_onnx",
                    [new TensorMetadata(ModelContract.InputName, "FP32", [-1, 1, c.Features.NMels, c.Features.Frames])],
                    [new TensorMetadata(ModelContract.LogitsOutput, "FP32", [-1, c.Labels.Count]), new TensorMetadata(ModelContract.ProbabilitiesOutput, "FP32", [-1, c.Labels.Count])],
                    c.Labels, engine.ExecutionProvider));
            })
            .WithName("V2ModelMetadata").WithSummary("Model metadata: inputs, outputs and labels.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    /// <summary>OIP v2 server-live answer.</summary>
    public sealed record LiveStatus(bool Live);

    /// <summary>OIP v2 server-ready answer.</summary>
    public sealed record ReadyStatus(bool Ready);

    /// <summary>An input or output tensor as OIP v2 describes it (-1 = dynamic dimension).</summary>
    public sealed record TensorMetadata(string Name, string Datatype, long[] Shape);

    /// <summary>OIP v2 model metadata, extended with the labels and the execution provider.</summary>
    public sealed record ModelMetadata(string Name, IReadOnlyList<string> Versions, string Platform, IReadOnlyList<TensorMetadata> Inputs,
        IReadOnlyList<TensorMetadata> Outputs, IReadOnlyList<string> Labels, string ExecutionProvider);
}
