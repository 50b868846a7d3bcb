using AudioClassifier.Trainer.Data;

namespace AudioClassifier.Trainer.Tests;

/// <summary>Every supported layout loads with the right classes, folds and files; broken datasets say what is wrong.</summary>
public sealed class DatasetLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audioclf-ds-").FullName;

    [Fact]
    public void UrbanSound8KSampleLoadsWithFoldsAndClassNames()
    {
        var ds = DatasetLoader.Load(TinyDatasets.UrbanSound8K);
        Assert.Equal(DatasetLayout.UrbanSound8K, ds.Layout);
        Assert.Equal(15, ds.Items.Count);
        Assert.Equal([2, 5, 7, 10], ds.Folds);
        Assert.Contains("dog_bark", ds.Classes);
        Assert.All(ds.Items, i => Assert.True(File.Exists(i.Path)));
        Assert.All(ds.Items, i => Assert.Equal(int.Parse(Path.GetFileName(Path.GetDirectoryName(i.Path)!)[4..]), i.Fold));
    }

    [Fact]
    public void Esc10FolderLayoutLoadsTenClassesAndFourFolds()
    {
        var ds = DatasetLoader.Load(TinyDatasets.Esc10);
        Assert.Equal(DatasetLayout.Folders, ds.Layout);
        Assert.Equal(320, ds.Items.Count);
        Assert.Equal(["Dog bark", "Rain", "Sea waves", "Baby cry", "Clock tick", "Person sneeze", "Helicopter", "Chainsaw", "Rooster", "Fire crackling"], ds.Classes);
        Assert.Equal([1, 2, 3, 4], ds.Folds);
        Assert.All(ds.Classes.Select((_, c) => ds.Items.Count(i => i.Label == c)), n => Assert.Equal(32, n));
    }

    [Fact]
    public void SyntheticEsc50LayoutLoadsWithReindexedTargets()
    {
        var root = TinyDatasets.Esc50(_dir, 3, 2, 1, 2);
        var ds = DatasetLoader.Load(root);
        Assert.Equal(DatasetLayout.Esc50, ds.Layout);
        Assert.Equal(12, ds.Items.Count);
        Assert.Equal(["dog_bark", "rain", "sea_waves"], ds.Classes);
        Assert.Equal([0, 1, 2], ds.Items.Select(i => i.Label).Distinct().Order());
    }

    [Fact]
    public void MissingCsvIsReported()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "metadata"));
        var e = Assert.Throws<DatasetException>(() => DatasetLoader.Load(_dir));
        Assert.Contains("CSV is missing", e.Message);
        Assert.Contains("UrbanSound8K.csv", Assert.Throws<DatasetException>(() => DatasetLoader.Load(_dir, DatasetLayout.UrbanSound8K)).Message);
    }

    [Fact]
    public void MissingFileIsReportedWithItsCsvLine()
    {
        var root = TinyDatasets.Esc50(_dir, 2, 1, 1);
        File.AppendAllText(Path.Combine(root, "meta", "esc50.csv"), "1-999-A.ogg,1,0,dog_bark,True,999,A\n");
        var e = Assert.Throws<DatasetException>(() => DatasetLoader.Load(root));
        Assert.Contains("line 4", e.Message);
        Assert.Contains("1-999-A.ogg", e.Message);
    }

    [Fact]
    public void UnknownClassFolderIsReported()
    {
        var root = TinyDatasets.Folders(_dir, 3, 1, 1);
        var e = Assert.Throws<DatasetException>(() => DatasetLoader.Load(root, DatasetLayout.Folders, ["Dog bark", "Rain"]));
        Assert.Contains("Unknown class folder '003 - Sea waves'", e.Message);
    }

    [Fact]
    public void ClassListFixesLabelOrder()
    {
        var root = TinyDatasets.Folders(_dir, 2, 1, 1);
        var ds = DatasetLoader.Load(root, DatasetLayout.Folders, ["Rain", "Dog bark"]);
        Assert.Equal(["Rain", "Dog bark"], ds.Classes);
        Assert.All(ds.Items, i => Assert.Contains(ds.Classes[i.Label], Path.GetDirectoryName(i.Path)!));
    }

    [Fact]
    public void ValidationFoldsSplitAndStratifiedSplitWithoutFolds()
    {
        var ds = DatasetLoader.Load(TinyDatasets.Esc10);
        var byFold = DatasetSplit.Create(ds, [4], 0.2, 1);
        Assert.Equal(80, byFold.Validation.Count);
        Assert.All(byFold.Validation, i => Assert.Equal(4, i.Fold));

        var noFolds = ds with { Items = ds.Items.Select(i => i with { Fold = null }).ToList() };
        var a = DatasetSplit.Create(noFolds, [], 0.25, 7);
        var b = DatasetSplit.Create(noFolds, [], 0.25, 7);
        // About a quarter of each class (whole recordings: ESC-10 cuts up to several clips from one), the same for the same seed.
        Assert.InRange(a.Validation.Count, 70, 90);
        Assert.All(Enumerable.Range(0, 10), c => Assert.InRange(a.Validation.Count(i => i.Label == c), 5, 11));
        Assert.Equal(a.Validation.Select(i => i.Path), b.Validation.Select(i => i.Path));
        // No recording on both sides: validation never hears a recording training heard.
        var trained = a.Train.Select(i => DatasetSplit.RecordingKey(i.Path)).ToHashSet();
        Assert.DoesNotContain(a.Validation, i => trained.Contains(DatasetSplit.RecordingKey(i.Path)));
        Assert.True(a.Validation.Select(i => DatasetSplit.RecordingKey(i.Path)).Distinct().Count() < a.Validation.Count, "the test needs recordings with several clips");
        Assert.Throws<DatasetException>(() => DatasetSplit.Create(ds, [9], 0.2, 1));
    }

    [Theory]
    [InlineData("1-100032-A.ogg", "esc:1-100032")]
    [InlineData("4-181286-B.wav", "esc:4-181286")]
    [InlineData("100263-2-0-117.wav", "us8k:100263")]
    [InlineData("my clip.wav", "file:my clip")]
    public void ClipsOfOneRecordingShareAKey(string file, string key) => Assert.Equal(key, DatasetSplit.RecordingKey(Path.Combine("x", file)));

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
