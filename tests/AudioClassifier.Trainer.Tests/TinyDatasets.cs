using System.Text;

namespace AudioClassifier.Trainer.Tests;

/// <summary>Small datasets made in temp folders from real shared clips (never inside the repository).</summary>
public static class TinyDatasets
{
    public static string Esc10 => SharedData.Path("datasets", "esc10");

    public static string UrbanSound8K => SharedData.Path("datasets", "urbansound8k-mini");

    /// <summary>Folder-per-class copy of ESC-10: the first <paramref name="classes"/> classes, <paramref name="perFold"/> clips per fold.</summary>
    public static string Folders(string root, int classes, int perFold, params int[] folds)
    {
        foreach (var dir in Directory.GetDirectories(Esc10).Order().Take(classes))
        {
            var target = Directory.CreateDirectory(Path.Combine(root, Path.GetFileName(dir))).FullName;
            foreach (var fold in folds)
            {
                foreach (var f in Directory.GetFiles(dir, $"{fold}-*.ogg").Order().Take(perFold))
                    File.Copy(f, Path.Combine(target, Path.GetFileName(f)));
            }
        }
        return root;
    }

    /// <summary>An ESC-50 layout (meta/esc50.csv + audio/) built from ESC-10 clips.</summary>
    public static string Esc50(string root, int classes, int perFold, params int[] folds)
    {
        Directory.CreateDirectory(Path.Combine(root, "meta"));
        Directory.CreateDirectory(Path.Combine(root, "audio"));
        var csv = new StringBuilder("filename,fold,target,category,esc10,src_file,take\n");
        int target = 0;
        foreach (var dir in Directory.GetDirectories(Esc10).Order().Take(classes))
        {
            string category = Path.GetFileName(dir)[6..].ToLowerInvariant().Replace(' ', '_');
            foreach (var fold in folds)
            {
                foreach (var f in Directory.GetFiles(dir, $"{fold}-*.ogg").Order().Take(perFold))
                {
                    File.Copy(f, Path.Combine(root, "audio", Path.GetFileName(f)));
                    csv.Append($"{Path.GetFileName(f)},{fold},{target * 3},{category},True,0,A\n");
                }
            }
            target++;
        }
        File.WriteAllText(Path.Combine(root, "meta", "esc50.csv"), csv.ToString());
        return root;
    }
}
