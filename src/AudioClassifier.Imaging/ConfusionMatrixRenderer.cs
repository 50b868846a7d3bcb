namespace AudioClassifier.Imaging;

/// <summary>Draws a confusion matrix (rows = true class, columns = predicted) with counts, row-normalised colours and labels.</summary>
public static class ConfusionMatrixRenderer
{
    private static readonly Rgb Ink = new(30, 30, 30);

    public static RgbImage Render(IReadOnlyList<string> classes, int[][] confusion, string title)
    {
        int n = classes.Count;
        int cell = Math.Max(28, 420 / Math.Max(1, n));
        int labelWidth = classes.Max(c => BitmapFont.Measure(Short(c))) + 12;
        int left = labelWidth + 20, top = 40;
        int width = left + n * cell + 20, height = top + n * cell + labelWidth + 30;
        var image = new RgbImage(width, height, Rgb.White);
        image.DrawText(8, 10, title, Ink, 2 - (title.Length > 40 ? 1 : 0));
        for (int r = 0; r < n; r++)
        {
            int rowTotal = Math.Max(1, confusion[r].Sum());
            for (int c = 0; c < n; c++)
            {
                double share = (double)confusion[r][c] / rowTotal;
                var color = ColorMap.Viridis(share);
                int x = left + c * cell, y = top + r * cell;
                image.FillRect(x, y, cell, cell, color);
                string count = confusion[r][c].ToString(System.Globalization.CultureInfo.InvariantCulture);
                var textColor = share > 0.6 ? Ink : Rgb.White;
                image.DrawText(x + (cell - BitmapFont.Measure(count)) / 2, y + (cell - 7) / 2, count, textColor);
            }
            string label = Short(classes[r]);
            image.DrawText(left - 6 - BitmapFont.Measure(label), top + r * cell + (cell - 7) / 2, label, Ink);
        }
        for (int c = 0; c < n; c++)
            image.DrawTextVertical(left + c * cell + (cell - 7) / 2, top + n * cell + 6 + BitmapFont.Measure(Short(classes[c])), Short(classes[c]), Ink);
        image.Rectangle(left - 1, top - 1, n * cell + 2, n * cell + 2, Ink);
        image.DrawText(left, height - 16, "Predicted (columns) vs true (rows)", Ink);
        return image;
    }

    private static string Short(string name) => name.Length > 18 ? name[..17] + "." : name;
}
