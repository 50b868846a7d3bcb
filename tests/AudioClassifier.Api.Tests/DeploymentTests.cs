using System.Net;
using System.Text.RegularExpressions;

namespace AudioClassifier.Api.Tests;

/// <summary>
/// The deployment files describe the service that is actually built: every probe path and port named in k8s/ and
/// the Dockerfile answers as the probe expects on the published service, and every path the Dockerfile copies exists.
/// </summary>
public sealed partial class DeploymentTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-deploy-").FullName;
    private static string Repo => SharedData.RepositoryRoot;

    [Fact]
    public async Task PublishedServiceAnswersEveryProbeOnTheDeclaredPort()
    {
        var published = Path.Combine(Repo, "artifacts", "publish", "AudioClassifier.Api.dll");
        Assert.True(File.Exists(published), "run scripts/publish.sh first (scripts/test.sh does)");
        // The plain Deployment and the KServe InferenceService probe the same service.
        var manifest = File.ReadAllText(Path.Combine(Repo, "k8s", "base", "deployment.yaml")) + File.ReadAllText(Path.Combine(Repo, "k8s", "kserve", "inferenceservice.yaml"));
        var dockerfile = File.ReadAllText(Path.Combine(Repo, "Dockerfile"));

        // The API's port first; besides it only the gRPC port (Service:GrpcUrl's default 8081).
        int containerPort = int.Parse(ContainerPort().Match(manifest).Groups[1].Value);
        Assert.All(ContainerPort().Matches(manifest), m => Assert.Contains(int.Parse(m.Groups[1].Value), new[] { containerPort, 8081 }));
        Assert.All(ExposedPorts().Matches(dockerfile), m => Assert.Equal(containerPort, int.Parse(m.Groups[1].Value)));
        Assert.All(UrlPorts().Matches(dockerfile), m => Assert.Equal(containerPort, int.Parse(m.Groups[1].Value)));

        // Started without --urls, as in the image: the service's own default port must be the declared one.
        using var service = new ServiceProcess(new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = TestModels.Write(_dir),
            ["Classifier__ExecutionProvider"] = "Cpu",
        }, published, urls: null);
        Assert.Equal(containerPort, service.BaseAddress.Port);
        Assert.True(await service.ReadyAsync(), service.Log);

        var probePaths = ProbePaths().Matches(manifest).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("/healthz/live", probePaths);
        Assert.Contains("/healthz/ready", probePaths);
        Assert.Contains("/v2/health/ready", probePaths);
        foreach (var path in probePaths.Concat(HealthcheckPaths().Matches(dockerfile).Select(m => m.Groups[1].Value)))
        {
            var response = await service.Client.GetAsync(path);
            // Kubernetes httpGet probes and the HEALTHCHECK accept 200-399.
            Assert.True((int)response.StatusCode is >= 200 and < 400, $"{path} answered {response.StatusCode}");
        }
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public void DockerfileCopiesAndScriptsExist()
    {
        var dockerfile = File.ReadAllLines(Path.Combine(Repo, "Dockerfile"));
        var copies = dockerfile.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(copies);
        foreach (var line in copies)
        {
            var source = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            Assert.True(source == "." || File.Exists(Path.Combine(Repo, source)) || Directory.Exists(Path.Combine(Repo, source)), $"{line}: {source} does not exist");
        }
        Assert.Contains(dockerfile, l => l.Contains("bash scripts/publish.sh", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(Repo, "scripts", "publish.sh")));
        Assert.Contains("bash scripts/publish.sh", File.ReadAllText(Path.Combine(Repo, "scripts", "test.sh")));
        Assert.True(File.Exists(Path.Combine(Repo, ".dockerignore")));
        // The image's model path is where the models folder is copied.
        Assert.Contains(dockerfile, l => l.Contains("Classifier__ModelPath=/app/models/esc10-resnet18.onnx", StringComparison.Ordinal));
        Assert.Contains(dockerfile, l => l.StartsWith("COPY models/ /app/models/", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("publish", false)]
    [InlineData("publish-gpu", true)]
    public void PublishedTreesHoldOnlyLinuxNativesAndTheirBackendsProviders(string tree, bool gpu)
    {
        var dir = Path.Combine(Repo, "artifacts", tree);
        Assert.True(File.Exists(Path.Combine(dir, "AudioClassifier.Api.dll")), $"run scripts/publish.sh artifacts/{tree} {(gpu ? "gpu" : "cpu")} first (scripts/test.sh does)");
        // Every .dll is a .NET assembly: no Windows native (onnxruntime.dll, the CUDA/TensorRT provider DLLs).
        foreach (var dll in Directory.GetFiles(dir, "*.dll", SearchOption.AllDirectories))
        {
            var e = Record.Exception(() => System.Reflection.AssemblyName.GetAssemblyName(dll));
            Assert.True(e is null, $"{Path.GetRelativePath(dir, dll)} is not a .NET assembly (a native of another OS?)");
        }
        Assert.True(File.Exists(Path.Combine(dir, "libonnxruntime.so")));
        Assert.Equal(gpu, File.Exists(Path.Combine(dir, "libonnxruntime_providers_cuda.so")));
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cpu")]
    [InlineData("cpu-model-volume")]
    public void RenderedOverlaysScheduleAndProbeAsDocumented(string overlay)
    {
        var rendered = ExternalTools.Output("kubectl", "kustomize", Path.Combine(Repo, "k8s", "overlays", overlay));
        // Started means ready (model loaded and warmed up), not merely a live process.
        Assert.Equal("/healthz/ready", StartupProbePath().Match(rendered).Groups[1].Value);
        Assert.Contains("image: registry.example.com/audioclf:" + overlay.Split('-')[0], rendered);
        if (overlay == "gpu")
        {
            // The device plugin's resource is enough to land on a GPU node; GPU Feature Discovery labels are not required.
            Assert.Matches(@"limits:\s*\n(?:\s+\S+: \S+\n)*?\s+nvidia\.com/gpu: ""1""", rendered);
            Assert.DoesNotContain("nvidia.com/gpu.present", rendered);
            Assert.DoesNotContain("nodeSelector", rendered);
            Assert.DoesNotContain("requiredDuringScheduling", rendered);
        }
        if (overlay == "cpu-model-volume")
        {
            Assert.Contains("claimName: audioclf-models", rendered);
            Assert.Contains("Classifier__ModelPath: /models/esc10-resnet18.onnx", rendered);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [GeneratedRegex(@"startupProbe:\s*\n\s*(?:failureThreshold: \d+\s*\n\s*)?httpGet:\s*\n\s*path: (\S+)")]
    private static partial Regex StartupProbePath();

    [GeneratedRegex(@"containerPort:\s*(\d+)")]
    private static partial Regex ContainerPort();

    [GeneratedRegex(@"^EXPOSE\s+(\d+)", RegexOptions.Multiline)]
    private static partial Regex ExposedPorts();

    [GeneratedRegex(@"ASPNETCORE_URLS=http://[^:]+:(\d+)")]
    private static partial Regex UrlPorts();

    [GeneratedRegex(@"path:\s*(/\S+)")]
    private static partial Regex ProbePaths();

    [GeneratedRegex(@"GET (/\S+) HTTP")]
    private static partial Regex HealthcheckPaths();
}
