using System.Text.Json.Nodes;
using AudioClassifier.Audio.Features;

namespace AudioClassifier.Audio.Tests;

/// <summary>
/// A clip shorter than the window is padded as its model's spec says; zeros stays exactly what every earlier model
/// was computed with, and the setting travels in the spec so that a front end that cannot honour it refuses the model.
/// </summary>
public class FramePaddingTests
{
    private static readonly FeatureSpec Spec = FeatureSpec.Default with { NMels = 16, Frames = 40 };

    // 0.3 s of a 440 Hz tone at 22.05 kHz: 13 of the 40 frames.
    private static readonly float[] Tone = Enumerable.Range(0, 6615).Select(i => 0.3f * MathF.Sin(2 * MathF.PI * 440 * i / 22050f)).ToArray();

    [Fact]
    public void ZerosPadsWithZeroAndKeepsTheSpecJsonOfEarlierModels()
    {
        var mel = LogMelExtractor.For(Spec).Compute(Tone);
        int kept = LogMelExtractor.For(Spec).NaturalFrames(Tone.Length);
        Assert.Equal(13, kept);
        for (int m = 0; m < Spec.NMels; m++)
            Assert.All(mel.Data.AsSpan(m * Spec.Frames + kept, Spec.Frames - kept).ToArray(), v => Assert.Equal(0f, v));
        var json = FeatureSpecJson.Serialize(Spec);
        Assert.DoesNotContain("padding", json);
        Assert.Contains("\"fixed_length\":\"crop_or_right_pad_zero\"", json);
    }

    [Fact]
    public void FloorPadsWithTheClipsLowestValue()
    {
        var spec = Spec with { Padding = FramePadding.Floor };
        var mel = LogMelExtractor.For(spec).Compute(Tone);
        var zeros = LogMelExtractor.For(Spec).Compute(Tone);
        float floor = Enumerable.Range(0, spec.NMels).SelectMany(m => zeros.Data.AsSpan(m * spec.Frames, 13).ToArray()).Min();
        Assert.True(floor < -20, $"the tone's floor is {floor} dB");
        for (int m = 0; m < spec.NMels; m++)
        {
            Assert.Equal(zeros.Data.AsSpan(m * spec.Frames, 13).ToArray(), mel.Data.AsSpan(m * spec.Frames, 13).ToArray());
            Assert.All(mel.Data.AsSpan(m * spec.Frames + 13, spec.Frames - 13).ToArray(), v => Assert.Equal(floor, v));
        }
    }

    [Fact]
    public void RepeatTilesTheClipsFrames()
    {
        var spec = Spec with { Padding = FramePadding.Repeat };
        var mel = LogMelExtractor.For(spec).Compute(Tone);
        for (int m = 0; m < spec.NMels; m++)
            for (int f = 13; f < spec.Frames; f++)
                Assert.Equal(mel.Data[m * spec.Frames + f % 13], mel.Data[m * spec.Frames + f]);
    }

    [Fact]
    public void PaddingAroundAShiftedClipFillsBothSides()
    {
        var matrix = new float[2 * 6];
        matrix[2] = 1; matrix[3] = 2; matrix[8] = -5; matrix[9] = -1; // rows [_, _, 1, 2, _, _] and [_, _, -5, -1, _, _]
        FramePadding.Repeat.Fill(matrix, 2, 6, 2, 2);
        Assert.Equal([1f, 2, 1, 2, 1, 2, -5, -1, -5, -1, -5, -1], matrix);
        FramePadding.Floor.Fill(matrix, 2, 6, 2, 2);
        Assert.Equal([-5f, -5, 1, 2, -5, -5, -5, -5, -5, -1, -5, -5], matrix);
        Assert.Throws<ArgumentException>(() => FramePadding.Zeros.Fill(matrix, 2, 6, 5, 2));
    }

    [Theory]
    [InlineData(FramePadding.Floor, "crop_or_right_pad_floor")]
    [InlineData(FramePadding.Repeat, "crop_or_repeat")]
    public void ThePaddingTravelsInTheSpecAndMustAgreeWithItsSemantics(FramePadding padding, string semantics)
    {
        var spec = Spec with { Padding = padding };
        var json = FeatureSpecJson.Serialize(spec);
        Assert.Contains($"\"fixed_length\":\"{semantics}\"", json);
        Assert.Equal(spec, FeatureSpecJson.Deserialize(json));

        // A spec whose semantics disagree with its padding (or a padding this front end does not know) is refused by name.
        var node = JsonNode.Parse(json)!.AsObject();
        node["fixed_length"] = "crop_or_right_pad_zero";
        Assert.Equal("fixed_length", Assert.Throws<InvalidFeatureSpecException>(() => FeatureSpecJson.Deserialize(node.ToJsonString())).Field);
        node = JsonNode.Parse(json)!.AsObject();
        node["padding"] = "mirror";
        Assert.Throws<InvalidFeatureSpecException>(() => FeatureSpecJson.Deserialize(node.ToJsonString()));
        node["padding"] = 7;
        Assert.Throws<InvalidFeatureSpecException>(() => FeatureSpecJson.Deserialize(node.ToJsonString()));
    }
}
