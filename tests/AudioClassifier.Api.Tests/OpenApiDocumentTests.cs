namespace AudioClassifier.Api.Tests;

/// <summary>
/// openapi.yaml at the repository root must be exactly what the running app generates. To regenerate it:
/// <c>AUDIOCLF_UPDATE_OPENAPI=1 dotnet test tests/AudioClassifier.Api.Tests --filter OpenApi</c> (scripts/update-openapi.sh).
/// </summary>
public sealed class OpenApiDocumentTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    [Fact]
    public async Task CommittedOpenApiMatchesTheGeneratedDocument()
    {
        var generated = (await fixture.Client.GetStringAsync("/swagger/v1/swagger.yaml")).ReplaceLineEndings("\n").TrimEnd() + "\n";
        var path = Path.Combine(SharedData.RepositoryRoot, "openapi.yaml");
        if (Environment.GetEnvironmentVariable("AUDIOCLF_UPDATE_OPENAPI") == "1")
            File.WriteAllText(path, generated);
        Assert.True(File.Exists(path), "openapi.yaml is missing; run scripts/update-openapi.sh");
        Assert.True(generated == File.ReadAllText(path).ReplaceLineEndings("\n"),
            "openapi.yaml differs from what the app generates; run scripts/update-openapi.sh and commit the result.");
    }
}
