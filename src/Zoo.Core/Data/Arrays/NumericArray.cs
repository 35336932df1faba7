namespace Zoo.Core.Data.Arrays;

/// <summary>
/// A numeric array read from a user's file: its shape, its values as float32 in C (row-major) order, and the element
/// type it was stored with (the NumPy descr, e.g. "&lt;f4" or "|u1"), so callers can tell pixels from features.
/// </summary>
public sealed record NumericArray(int[] Shape, float[] Values, string DType)
{
    /// <summary>Stored as bool, a signed or an unsigned integer (values are whole numbers).</summary>
    public bool IsInteger => NpyDType.TryParse(DType, out var t) && t.IsInteger;

    /// <summary>Stored as uint8, as images usually are (values 0..255, not yet scaled).</summary>
    public bool IsUInt8 => NpyDType.TryParse(DType, out var t) && t.Kind == 'u' && t.Size == 1;

    /// <summary>
    /// The array as N examples of D features: N×D (a 1×D image each), N×H×W or N×H×W×1 (H×W images, D = H·W).
    /// <paramref name="source"/> names the file in the error for any other shape.
    /// </summary>
    public (int N, int D, int Height, int Width, int Channels) AsExamples(string source) => Shape switch
    {
        [var n, var d] => (n, d, 1, d, 1),
        [var n, var h, var w] => (n, Pixels(source, h, w), h, w, 1),
        [var n, var h, var w, 1] => (n, Pixels(source, h, w), h, w, 1),
        // RGB pictures as NumPy and PNG lay them out, channels last; a row becomes C × H × W, channel by channel.
        [var n, var h, var w, 3] => (n, 3 * Pixels(source, h, w), h, w, 3),
        _ => throw new ArrayFormatException(source, $"expected an array of shape N×D, N×H×W or N×H×W×C (C = 1 or 3), found {FormatShape(Shape)}"),
    };

    // With N ≥ 1 the product fits (the whole array does); an empty 0×H×W array may still name an absurd image.
    private static int Pixels(string source, int h, int w) => (long)h * w <= int.MaxValue
        ? h * w
        : throw new ArrayFormatException(source, $"images of {h}×{w} pixels are too large");

    /// <summary>
    /// The array as class labels: shape N or N×1, every value a non-negative whole number (float arrays of whole
    /// numbers are accepted, since labels are often saved that way).
    /// </summary>
    public long[] AsLabels(string source)
    {
        if (Shape is not ([_] or [_, 1]))
            throw new ArrayFormatException(source, $"expected labels of shape N or N×1, found {FormatShape(Shape)}");
        var labels = new long[Values.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            float v = Values[i];
            if (!(v >= 0) || v != MathF.Floor(v))
                throw new ArrayFormatException(source, $"labels must be non-negative integers; element {i} is {v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}");
            labels[i] = (long)v;
        }
        return labels;
    }

    /// <summary>"3×4×5", "7" for one dimension, "()" for a scalar.</summary>
    public static string FormatShape(IReadOnlyList<int> shape) => shape.Count == 0 ? "()" : string.Join("×", shape);
}
