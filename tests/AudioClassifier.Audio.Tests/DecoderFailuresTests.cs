using AudioClassifier.Audio.Decoding;

namespace AudioClassifier.Audio.Tests;

/// <summary>Which exceptions from a third-party decoder call count as bad audio (400) and which as our defect (500).</summary>
public sealed class DecoderFailuresTests
{
    private static Exception Thrown(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            return e;
        }
        throw new InvalidOperationException("nothing was thrown");
    }

    [Fact]
    public void DataErrorsAreBadAudioWhereverTheyComeFrom()
    {
        Assert.True(DecoderFailures.IsBadData(new InvalidDataException("bad frame")));
        Assert.True(DecoderFailures.IsBadData(new EndOfStreamException()));
    }

    [Fact]
    public void ARuntimeErrorRaisedInOurOwnCallbackIsADefectNotBadAudio()
    {
        var ours = Thrown(() => { var a = new int[1]; _ = a[new Random(1).Next(5, 9)]; }); // an index error raised in this type (a lambda)
        Assert.False(DecoderFailures.IsBadData(ours, typeof(DecoderFailuresTests)));
        Assert.True(DecoderFailures.IsBadData(ours)); // had a third-party type raised it: corrupt data
        Assert.False(DecoderFailures.IsBadData(new OutOfMemoryException()));
        Assert.False(DecoderFailures.IsBadData(new DivideByZeroException()));
    }
}
