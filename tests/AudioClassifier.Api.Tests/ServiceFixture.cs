namespace AudioClassifier.Api.Tests;

/// <summary>One service process with a real exported model, shared by the tests of a class.</summary>
public sealed class ServiceFixture : IDisposable
{
    public ServiceFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("audioclf-api-").FullName;
        ModelPath = TestModels.Write(Directory);
        Service = new ServiceProcess(new Dictionary<string, string?>
        {
            ["Classifier__ModelPath"] = ModelPath,
            ["Classifier__ExecutionProvider"] = "Cpu",
            ["Classifier__MaxAudioSeconds"] = "30",
            ["Service__MaxBodyBytes"] = "4000000",
            ["Service__WatchModelFile"] = "false",
            // Generous: a slow machine's cold first requests must not be 503s for time (budgets have their own tests).
            ["Service__InferenceTimeoutSeconds"] = "60",
        });
        if (!Service.ReadyAsync().Result)
            throw new InvalidOperationException("The service did not become ready:" + Environment.NewLine + Service.Log);
    }

    public string Directory { get; }

    public string ModelPath { get; }

    public ServiceProcess Service { get; }

    public HttpClient Client => Service.Client;

    public void Dispose()
    {
        Service.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
