using System.Text.Json;

namespace AudioClassifier.Client.Tests;

/// <summary>The client reads answers of services older than itself without inventing values.</summary>
public sealed class ClassificationJsonTests
{
    [Fact]
    public void AnAnswerWithoutRecognitionFieldsReadsAsRecognisedOnItsBestProbability()
    {
        // A service before 1.2 sent no recognised / recognition_score / threshold / events fields.
        const string old = """
            {"label":"Rooster","score":0.875,"top_k":[{"label":"Rooster","score":0.875}],"duration_seconds":5,
             "model":{"name":"esc10-resnet18","version":"1.1.0"},"execution_provider":"Cpu","windows":null}
            """;
        var answer = JsonSerializer.Deserialize<Classification>(old)!;
        Assert.True(answer.Recognised);
        Assert.Equal(0.875, answer.RecognitionScore, 1e-6);
        Assert.Equal("max_probability", answer.RecognitionScoreType);
        Assert.Null(answer.Threshold);
        Assert.Empty(answer.Events);

        var oldEvent = JsonSerializer.Deserialize<SoundEvent>("""{"start_seconds":0,"end_seconds":5,"label":"Rain","score":0.5}""")!;
        Assert.Equal(0.5f, oldEvent.RecognitionScore);
    }

    [Fact]
    public void ASentRecognitionScoreIsKeptEvenWhenItIsZero()
    {
        const string current = """
            {"label":null,"score":0,"top_k":[],"duration_seconds":5,"model":{"name":"m","version":"1.4.0"},
             "execution_provider":"Cpu","windows":null,"silent":true,"recognised":false,"recognition_score":0,
             "recognition_score_type":"training_similarity","threshold":0.79}
            """;
        var answer = JsonSerializer.Deserialize<Classification>(current)!;
        Assert.False(answer.Recognised);
        Assert.Equal(0, answer.RecognitionScore);
        Assert.Equal("training_similarity", answer.RecognitionScoreType);
        Assert.Equal(0.79, answer.Threshold);

        var similarity = JsonSerializer.Deserialize<Classification>(current.Replace("\"recognition_score\":0", "\"recognition_score\":-0.25"))!;
        Assert.Equal(-0.25, similarity.RecognitionScore);
    }
}
