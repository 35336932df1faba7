using System.Globalization;
using System.Text;
using Zoo.Torch;

namespace Zoo.Core.Data.Arrays;

/// <summary>
/// What a .npy header says: the format version, the dtype descr, whether the data is in Fortran (column-major) order,
/// the shape, and where the data starts. Parsed without evaluating anything: the header is a Python dict literal.
/// </summary>
public sealed record NpyHeader(int MajorVersion, int MinorVersion, string DType, bool FortranOrder, int[] Shape, long DataOffset)
{
    /// <summary>The number of elements (the product of the shape; 1 for a scalar).</summary>
    public long Count => Shape.Aggregate(1L, (a, d) => a * d);

    internal static NpyHeader Parse(string text, int major, int minor, long dataOffset, string source)
    {
        object? parsed;
        try
        {
            var p = new Literal(text);
            parsed = p.Value();
            p.End();
        }
        catch (FormatException e)
        {
            throw new ArrayFormatException(source, $"header is not a Python dict literal ({e.Message}): {Excerpt.Quote(text.Trim())}");
        }
        if (parsed is not Dictionary<string, object?> d)
            throw new ArrayFormatException(source, $"header is not a dict: {Excerpt.Quote(text.Trim())}");
        foreach (var key in new[] { "descr", "fortran_order", "shape" })
            if (!d.ContainsKey(key))
                throw new ArrayFormatException(source, $"header has no '{key}' key: {Excerpt.Quote(text.Trim())}");

        string descr = d["descr"] switch
        {
            string s => s,
            List<object?> fields => throw new ArrayFormatException(source,
                $"structured dtype with {fields.Count} fields is not supported; save a plain numeric array"),
            var other => throw new ArrayFormatException(source, $"header 'descr' is {Describe(other)}, not a dtype string"),
        };
        if (d["fortran_order"] is not bool fortran)
            throw new ArrayFormatException(source, $"header 'fortran_order' is {Describe(d["fortran_order"])}, not True or False");
        if (d["shape"] is not Tuple shapeItems)
            throw new ArrayFormatException(source, $"header 'shape' is {Describe(d["shape"])}, not a tuple");

        var shape = new int[shapeItems.Items.Count];
        long count = 1;
        bool overflow = false;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shapeItems.Items[i] is not System.Numerics.BigInteger dim)
                throw new ArrayFormatException(source, $"shape dimension {i} is {Describe(shapeItems.Items[i])}, not an integer");
            if (dim < 0) throw new ArrayFormatException(source, $"shape dimension {i} is negative ({dim})");
            if (dim > int.MaxValue) { overflow = true; shape[i] = int.MaxValue; continue; }
            shape[i] = (int)dim;
            try { count = checked(count * shape[i]); } catch (OverflowException) { overflow = true; }
        }
        if (overflow || count > Array.MaxLength)
        {
            var dims = string.Join("×", shapeItems.Items);
            throw new ArrayFormatException(source,
                $"shape {dims} holds more than the {Array.MaxLength} elements one array can hold");
        }
        return new NpyHeader(major, minor, descr, fortran, shape, dataOffset);
    }

    private static string Describe(object? v) => v switch
    {
        null => "None",
        string s => Excerpt.Quote(s),
        bool b => b ? "True" : "False",
        Tuple => "a tuple",
        List<object?> => "a list",
        Dictionary<string, object?> => "a dict",
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "?",
    };

    /// <summary>A Python tuple (a list is <see cref="List{T}"/>): the shape must be one.</summary>
    private sealed record Tuple(List<object?> Items);

    /// <summary>
    /// The subset of Python literals NumPy writes in headers: dicts, tuples, lists, strings, integers (with the old
    /// "L" suffix), True, False and None. Anything else is a <see cref="FormatException"/>.
    /// </summary>
    private sealed class Literal(string text)
    {
        private int pos;

        public void End()
        {
            Skip();
            if (pos < text.Length) throw Error("unexpected text after the dict");
        }

        public object? Value()
        {
            Skip();
            if (pos >= text.Length) throw Error("unexpected end");
            char c = text[pos];
            switch (c)
            {
                case '{': return Dict();
                case '(':
                    var (items, isTuple) = Sequence(')');
                    return isTuple ? new Tuple(items) : items[0];
                case '[': return Sequence(']').Items;
                case '\'' or '"': return String();
            }
            if (c is '-' or '+' || char.IsAsciiDigit(c)) return Integer();
            if (char.IsAsciiLetter(c))
            {
                int start = pos;
                while (pos < text.Length && (char.IsAsciiLetterOrDigit(text[pos]) || text[pos] == '_')) pos++;
                return text[start..pos] switch
                {
                    "True" => true,
                    "False" => false,
                    "None" => null,
                    var word => throw Error($"unknown name {Excerpt.Quote(word)}"),
                };
            }
            throw Error($"unexpected {Excerpt.Quote(c.ToString())}");
        }

        private Dictionary<string, object?> Dict()
        {
            pos++;
            var d = new Dictionary<string, object?>();
            while (true)
            {
                Skip();
                if (Eat('}')) return d;
                if (Value() is not string key) throw Error("a dict key that is not a string");
                Skip();
                if (!Eat(':')) throw Error($"no ':' after key {Excerpt.Quote(key)}");
                d[key] = Value();
                Skip();
                if (Eat('}')) return d;
                if (!Eat(',')) throw Error("no ',' between dict items");
            }
        }

        /// <summary>Items up to <paramref name="close"/>; Tuple is true when a comma was seen, so "(3,)" is a tuple and "(3)" is 3.</summary>
        private (List<object?> Items, bool Tuple) Sequence(char close)
        {
            pos++;
            var items = new List<object?>();
            bool comma = false;
            while (true)
            {
                Skip();
                if (Eat(close)) return (items, comma || items.Count == 0);
                items.Add(Value());
                Skip();
                if (Eat(close)) return (items, comma || items.Count == 0);
                if (!Eat(',')) throw Error($"no ',' or '{close}' after an item");
                comma = true;
            }
        }

        private string String()
        {
            char quote = text[pos++];
            var sb = new StringBuilder();
            while (pos < text.Length && text[pos] != quote)
            {
                char c = text[pos++];
                if (c == '\\' && pos < text.Length) c = text[pos++];
                sb.Append(c);
            }
            if (!Eat(quote)) throw Error("unterminated string");
            return sb.ToString();
        }

        private System.Numerics.BigInteger Integer()
        {
            int start = pos;
            if (text[pos] is '-' or '+') pos++;
            while (pos < text.Length && char.IsAsciiDigit(text[pos])) pos++;
            var digits = text.AsSpan(start, pos - start);
            if (pos < text.Length && text[pos] is 'L' or 'l') pos++;
            if (!System.Numerics.BigInteger.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
                throw Error($"bad number {Excerpt.Quote(digits)}");
            if (pos < text.Length && (text[pos] == '.' || char.IsAsciiLetter(text[pos]))) throw Error("a number that is not an integer");
            return n;
        }

        private void Skip()
        {
            while (pos < text.Length && char.IsWhiteSpace(text[pos])) pos++;
        }

        private bool Eat(char c)
        {
            if (pos < text.Length && text[pos] == c) { pos++; return true; }
            return false;
        }

        private FormatException Error(string what) => new($"{what} at character {pos}");
    }
}
