using AudioClassifier.Api.Endpoints;
using AudioClassifier.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddClassifierService();

var app = builder.Build();
app.UseClassifierPipeline();
app.MapClassifyEndpoints();
app.MapHealthEndpoints();
app.MapInferenceProtocolEndpoints();
app.MapMetricsEndpoint();
app.Run();

/// <summary>Entry point; public so test hosts can reference the assembly.</summary>
public partial class Program;
