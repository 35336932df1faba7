using Zoo.Torch;

namespace Zoo.Core.Data.Arrays;

/// <summary>
/// A NumPy dtype descr string ("&lt;f4", "|u1", "&gt;i8"): byte order, kind letter and item size. Only plain numeric
/// kinds become float32 values; the rest are named in the error so the user knows what to convert.
/// </summary>
internal readonly record struct NpyDType(string Descr, char Kind, int Size, bool BigEndian, bool Plain)
{
    public bool IsInteger => Kind is 'i' or 'u' or 'b';

    /// <summary>"float32", "uint8", "bool" ...: the name a NumPy user knows.</summary>
    public string Name => Kind switch
    {
        'f' => $"float{8 * Size}",
        'i' => $"int{8 * Size}",
        'u' => $"uint{8 * Size}",
        'b' => "bool",
        _ => Descr,
    };

    /// <summary>Splits a descr such as "&lt;f4" or "|O" into its parts; false if it is not of that form.</summary>
    public static bool TryParse(string descr, out NpyDType type)
    {
        type = default;
        var s = descr.AsSpan();
        bool big = false;
        if (s.Length > 0 && s[0] is '<' or '>' or '|' or '=')
        {
            big = s[0] == '>' || (s[0] == '=' && !BitConverter.IsLittleEndian);
            s = s[1..];
        }
        if (s.Length == 0 || !char.IsAsciiLetter(s[0])) return false;
        char kind = s[0];
        s = s[1..];
        int digits = 0;
        while (digits < s.Length && char.IsAsciiDigit(s[digits])) digits++;
        int size = 0;
        if (digits > 0 && !int.TryParse(s[..digits], out size)) return false;
        // Plain: nothing after the size (datetimes carry a unit, "<M8[ns]").
        type = new NpyDType(descr, kind, size, big, Plain: digits > 0 && digits == s.Length);
        return true;
    }

    /// <summary>The dtype of a descr, or the one-line reason it cannot be read as numbers.</summary>
    public static NpyDType Supported(string descr, string source)
    {
        const string expected = "expected float32, float64, uint8 or an integer type";
        if (!TryParse(descr, out var t))
            throw new ArrayFormatException(source, $"unsupported dtype {Excerpt.Quote(descr)} (not a NumPy type string); {expected}");
        bool ok = t.Kind switch
        {
            'f' => t.Size is 2 or 4 or 8,
            'i' or 'u' => t.Size is 1 or 2 or 4 or 8,
            'b' => t.Size == 1,
            _ => false,
        };
        if (ok && t.Plain) return t;
        string what = t.Kind switch
        {
            'c' => "complex",
            'O' => "Python objects, saved with pickle",
            'U' => "unicode strings",
            'S' or 'a' => "byte strings",
            'V' => "raw bytes (void)",
            'M' => "datetime",
            'm' => "timedelta",
            'f' => $"{8 * t.Size}-bit float",
            'i' or 'u' or 'b' => $"{8 * t.Size}-bit integer",
            _ => "unknown kind",
        };
        throw new ArrayFormatException(source, $"unsupported dtype {Excerpt.Quote(descr)} ({what}); {expected}");
    }
}
