namespace Zoo.Core.Imaging;

/// <summary>The zoo's pictures: grids of grey images, line plots of training curves, scatter plots of latents.</summary>
public static class Pictures
{
    /// <summary>
    /// Tiles images (values in [0,1], row-major h×w each, <paramref name="channels"/> of them one after the other: 1 grey,
    /// 3 RGB) into rows, scaled up by <paramref name="scale"/>.
    /// </summary>
    public static RgbImage Grid(IReadOnlyList<float[]> images, int h, int w, int columns, int scale = 3, int gap = 2, int channels = 1)
    {
        int rows = (images.Count + columns - 1) / columns;
        var img = new RgbImage(columns * (w * scale + gap) + gap, rows * (h * scale + gap) + gap);
        img.Fill((40, 40, 40));
        for (int k = 0; k < images.Count; k++)
        {
            int ox = gap + k % columns * (w * scale + gap), oy = gap + k / columns * (h * scale + gap);
            for (int y = 0; y < h * scale; y++)
                for (int x = 0; x < w * scale; x++)
                {
                    int p = y / scale * w + x / scale;
                    byte V(int c) => (byte)Math.Clamp(images[k][c * h * w + p] * 255f, 0f, 255f);
                    img.Set(ox + x, oy + y, channels == 3 ? (V(0), V(1), V(2)) : (V(0), V(0), V(0)));
                }
        }
        return img;
    }

    /// <summary>Matplotlib's tab10 colours, one per class or series.</summary>
    public static readonly (byte, byte, byte)[] Palette =
    [
        (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
        (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    ];

    /// <summary>
    /// A scatter plot of 2-D points coloured by integer label (tab10), with axes ticks and a legend of the
    /// labels present; points are drawn in the given order, so shuffle them to avoid one class hiding another.
    /// </summary>
    public static RgbImage Scatter(IReadOnlyList<(double X, double Y, int Label)> points, int size = 640)
    {
        var img = new RgbImage(size + 90, size);
        img.Fill((255, 255, 255));
        const int margin = 50;
        var finite = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        if (finite.Count == 0) return img;
        double x0 = finite.Min(p => p.X), x1 = finite.Max(p => p.X), y0 = finite.Min(p => p.Y), y1 = finite.Max(p => p.Y);
        if (x1 - x0 < 1e-9) { x0 -= 1; x1 += 1; }
        if (y1 - y0 < 1e-9) { y0 -= 1; y1 += 1; }
        int span = size - 2 * margin;
        int X(double v) => margin + (int)Math.Round((v - x0) / (x1 - x0) * span);
        int Y(double v) => margin + (int)Math.Round((y1 - v) / (y1 - y0) * span);
        for (int t = 0; t <= 4; t++)
        {
            double vx = x0 + (x1 - x0) * t / 4, vy = y0 + (y1 - y0) * t / 4;
            Line(img, X(vx), margin, X(vx), margin + span, (230, 230, 230));
            Line(img, margin, Y(vy), margin + span, Y(vy), (230, 230, 230));
            Font.Draw(img, vx.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), X(vx) - 10, margin + span + 8, (80, 80, 80));
            Font.Draw(img, vy.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), 2, Y(vy) - 5, (80, 80, 80));
        }
        foreach (var (px, py, label) in finite)
        {
            var c = Palette[((label % Palette.Length) + Palette.Length) % Palette.Length];
            int cx = X(px), cy = Y(py);
            for (int dy = -1; dy <= 1; dy++) for (int dx = -1; dx <= 1; dx++) img.Set(cx + dx, cy + dy, c);
        }
        var labels = finite.Select(p => p.Label).Distinct().Order().ToList();
        for (int i = 0; i < labels.Count; i++)
        {
            var c = Palette[((labels[i] % Palette.Length) + Palette.Length) % Palette.Length];
            int ly = margin + 16 * i;
            for (int dy = 0; dy < 10; dy++) for (int dx = 0; dx < 14; dx++) img.Set(size + 10 + dx, ly + dy, c);
            Font.Draw(img, labels[i].ToString(System.Globalization.CultureInfo.InvariantCulture), size + 30, ly, (0, 0, 0));
        }
        return img;
    }

    /// <summary>
    /// A line plot of named series over x = 1..n with a frame, horizontal grid lines labelled with their values,
    /// and a legend (colour swatch and name per series).
    /// </summary>
    public static RgbImage LinePlot(IReadOnlyList<(string Name, IReadOnlyList<double> Values)> series, int width = 640, int height = 400)
    {
        var img = new RgbImage(width, height);
        img.Fill((255, 255, 255));
        const int left = 80, right = 20, top = 20, bottom = 40;
        var all = series.SelectMany(s => s.Values).Where(double.IsFinite).ToList();
        if (all.Count == 0) return img;
        double lo = all.Min(), hi = all.Max();
        if (hi - lo < 1e-12) { lo -= 1; hi += 1; }
        var pad = (hi - lo) * 0.05;
        lo -= pad; hi += pad;
        int n = Math.Max(2, series.Max(s => s.Values.Count));
        int X(double i) => left + (int)Math.Round(i / (n - 1) * (width - left - right));
        int Y(double v) => top + (int)Math.Round((hi - v) / (hi - lo) * (height - top - bottom));
        for (int t = 0; t <= 4; t++)
        {
            var v = lo + (hi - lo) * t / 4;
            int y = Y(v);
            Line(img, left, y, width - right, y, (225, 225, 225));
            Font.Draw(img, v.ToString(Math.Abs(hi - lo) < 10 ? "0.000" : "0.0", System.Globalization.CultureInfo.InvariantCulture), 4, y - 5, (80, 80, 80));
        }
        for (int i = 0; i < n; i += Math.Max(1, n / 10)) Font.Draw(img, (i + 1).ToString(), X(i) - 3, height - bottom + 8, (80, 80, 80));
        Line(img, left, top, left, height - bottom, (0, 0, 0));
        Line(img, left, height - bottom, width - right, height - bottom, (0, 0, 0));
        for (int s = 0; s < series.Count; s++)
        {
            var c = Palette[s % Palette.Length];
            var vals = series[s].Values;
            for (int i = 1; i < vals.Count; i++)
                if (double.IsFinite(vals[i - 1]) && double.IsFinite(vals[i]))
                    for (int d = -1; d <= 1; d++) Line(img, X(i - 1), Y(vals[i - 1]) + d, X(i), Y(vals[i]) + d, c);
            for (int i = 0; i < vals.Count; i++)
                if (double.IsFinite(vals[i]))
                    for (int dy = -2; dy <= 2; dy++) for (int dx = -2; dx <= 2; dx++) img.Set(X(i) + dx, Y(vals[i]) + dy, c);
            int ly = top + 6 + 16 * s;
            for (int dy = 0; dy < 10; dy++) for (int dx = 0; dx < 16; dx++) img.Set(width - right - 200 + dx, ly + dy, c);
            Font.Draw(img, series[s].Name, width - right - 178, ly, (0, 0, 0));
        }
        Font.Draw(img, "EPOCH", width / 2 - 20, height - 14, (80, 80, 80));
        return img;
    }

    /// <summary>Pictures one above the other (left-aligned, white background).</summary>
    public static RgbImage Stack(params RgbImage[] parts)
    {
        var img = new RgbImage(parts.Max(p => p.Width), parts.Sum(p => p.Height));
        img.Fill((255, 255, 255));
        int oy = 0;
        foreach (var p in parts)
        {
            for (int y = 0; y < p.Height; y++)
                for (int x = 0; x < p.Width; x++) img.Set(x, oy + y, p.Get(x, y));
            oy += p.Height;
        }
        return img;
    }

    public static void Line(RgbImage img, int x0, int y0, int x1, int y1, (byte, byte, byte) c)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
        while (true)
        {
            img.Set(x0, y0, c);
            if (x0 == x1 && y0 == y1) break;
            int e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }
}

/// <summary>A 3×5 pixel font (digits, upper-case letters, a few signs) for plot labels, drawn at 2× scale.</summary>
internal static class Font
{
    // Each glyph: 5 rows of 3 bits, top row first.
    private static readonly Dictionary<char, string> Glyphs = new()
    {
        ['0'] = "111101101101111", ['1'] = "010110010010111", ['2'] = "111001111100111", ['3'] = "111001111001111",
        ['4'] = "101101111001001", ['5'] = "111100111001111", ['6'] = "111100111101111", ['7'] = "111001010010010",
        ['8'] = "111101111101111", ['9'] = "111101111001111", ['.'] = "000000000000010", ['-'] = "000000111000000",
        ['+'] = "000010111010000", [' '] = "000000000000000", ['_'] = "000000000000111", ['/'] = "001001010100100",
        ['A'] = "010101111101101", ['B'] = "110101110101110", ['C'] = "111100100100111", ['D'] = "110101101101110",
        ['E'] = "111100111100111", ['F'] = "111100111100100", ['G'] = "111100101101111", ['H'] = "101101111101101",
        ['I'] = "111010010010111", ['J'] = "001001001101111", ['K'] = "101101110101101", ['L'] = "100100100100111",
        ['M'] = "101111111101101", ['N'] = "110101101101101", ['O'] = "111101101101111", ['P'] = "111101111100100",
        ['Q'] = "111101101111001", ['R'] = "111101110101101", ['S'] = "111100111001111", ['T'] = "111010010010010",
        ['U'] = "101101101101111", ['V'] = "101101101101010", ['W'] = "101101111111101", ['X'] = "101101010101101",
        ['Y'] = "101101010010010", ['Z'] = "111001010100111", ['('] = "010100100100010", [')'] = "010001001001010", [':'] = "000010000010000", ['='] = "000111000111000",
        [','] = "000000000010100", ['|'] = "010010010010010",
    };

    public static void Draw(RgbImage img, string text, int x, int y, (byte, byte, byte) c)
    {
        foreach (var ch in text.ToUpperInvariant())
        {
            if (Glyphs.TryGetValue(ch, out var g))
                for (int r = 0; r < 5; r++)
                    for (int k = 0; k < 3; k++)
                        if (g[r * 3 + k] == '1')
                            for (int d = 0; d < 4; d++) img.Set(x + 2 * k + d % 2, y + 2 * r + d / 2, c);
            x += 8;
        }
    }
}
