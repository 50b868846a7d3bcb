using AudioClassifier.Api.Endpoints;
using AudioClassifier.Api.Hosting;
using AudioClassifier.Api.InferenceProtocol;

// Content (appsettings.json, wwwroot) lives beside the assembly, wherever the process is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddClassifierService();

var app = builder.Build();
app.UseClassifierPipeline();
app.MapClassifyEndpoints();
app.MapSpectrogramEndpoints();
app.MapExampleEndpoints();
app.MapHealthEndpoints();
app.MapInferenceProtocolEndpoints();
app.MapClassifierMetrics();
app.LogGrpcAddressOnStart();
app.Run();

/// <summary>Entry point; public so test hosts can reference the assembly.</summary>
public partial class Program;
