namespace AudioClassifier.Imaging;

/// <summary>A 24-bit RGB raster with the few drawing operations charts need (rectangles, lines, text).</summary>
public sealed class RgbImage
{
    private readonly byte[] _pixels;

    public RgbImage(int width, int height, Rgb background)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        _pixels = new byte[width * height * 3];
        FillRect(0, 0, width, height, background);
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>The bytes of one scanline (R, G, B per pixel).</summary>
    public ReadOnlySpan<byte> Row(int y) => _pixels.AsSpan(y * Width * 3, Width * 3);

    public Rgb this[int x, int y]
    {
        get
        {
            int i = (y * Width + x) * 3;
            return new Rgb(_pixels[i], _pixels[i + 1], _pixels[i + 2]);
        }
        set
        {
            if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
                return;
            int i = (y * Width + x) * 3;
            _pixels[i] = value.R;
            _pixels[i + 1] = value.G;
            _pixels[i + 2] = value.B;
        }
    }

    public void FillRect(int x, int y, int width, int height, Rgb color)
    {
        for (int yy = Math.Max(0, y); yy < Math.Min(Height, y + height); yy++)
        {
            for (int xx = Math.Max(0, x); xx < Math.Min(Width, x + width); xx++)
                this[xx, yy] = color;
        }
    }

    public void HorizontalLine(int x0, int x1, int y, Rgb color) => FillRect(x0, y, x1 - x0 + 1, 1, color);

    public void VerticalLine(int x, int y0, int y1, Rgb color) => FillRect(x, y0, 1, y1 - y0 + 1, color);

    public void Rectangle(int x, int y, int width, int height, Rgb color)
    {
        HorizontalLine(x, x + width - 1, y, color);
        HorizontalLine(x, x + width - 1, y + height - 1, color);
        VerticalLine(x, y, y + height - 1, color);
        VerticalLine(x + width - 1, y, y + height - 1, color);
    }

    /// <summary>Draws text with the built-in 5×7 font; returns the width drawn.</summary>
    public int DrawText(int x, int y, string text, Rgb color, int scale = 1) => BitmapFont.Draw(this, x, y, text, color, scale);

    /// <summary>Draws text rotated 90° counter-clockwise (reading bottom to top), starting at the bottom-left corner.</summary>
    public void DrawTextVertical(int x, int y, string text, Rgb color, int scale = 1) => BitmapFont.DrawVertical(this, x, y, text, color, scale);
}

/// <summary>An sRGB colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    public static Rgb White { get; } = new(255, 255, 255);
    public static Rgb Black { get; } = new(0, 0, 0);
    public static Rgb Gray { get; } = new(128, 128, 128);
}
