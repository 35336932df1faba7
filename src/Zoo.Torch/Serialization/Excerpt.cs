using System.Globalization;
using System.Text;

namespace Zoo.Torch;

/// <summary>
/// Text from a user's file quoted into an error message. A binary file read as text would otherwise put raw control
/// bytes (terminal escapes, newlines, NULs) and whole megabytes on the terminal; the message stays one short line.
/// </summary>
public static class Excerpt
{
    public const int MaxChars = 40;

    /// <summary>
    /// <paramref name="text"/> in single quotes, at most <paramref name="maxChars"/> characters of it (then "…"), with
    /// every non-printable character written as \xNN (\uNNNN above U+00FF) and a backslash as \\.
    /// </summary>
    public static string Quote(string text, int maxChars = MaxChars)
    {
        var sb = new StringBuilder("'");
        int used = 0;
        foreach (var c in text)
        {
            var piece = c == '\\' ? @"\\"
                : Printable(c) ? c.ToString()
                : c <= 0xFF ? string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}")
                : string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            if (used + piece.Length > maxChars) return sb.Append("…'").ToString();
            sb.Append(piece);
            used += piece.Length;
        }
        return sb.Append('\'').ToString();
    }

    /// <inheritdoc cref="Quote(string, int)"/>
    public static string Quote(ReadOnlySpan<char> text, int maxChars = MaxChars) =>
        Quote(text[..Math.Min(text.Length, maxChars + 1)].ToString(), maxChars);

    // U+FFFD is what a decoder makes of bytes that are not text: shown as an escape, it says so.
    private static bool Printable(char c) => c != '\uFFFD' && CharUnicodeInfo.GetUnicodeCategory(c) is not
        (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
         or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator);
}
