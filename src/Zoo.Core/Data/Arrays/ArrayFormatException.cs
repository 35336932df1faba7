namespace Zoo.Core.Data.Arrays;

/// <summary>
/// A user's array file (.npy, .npz, .csv) that cannot be read or does not hold what is expected. The message is one
/// line, "{file}: {problem}" (or "{file}:{line}: {problem}" for text), so it can be shown as is. An
/// <see cref="IOException"/> like <c>IdxFormatException</c>, since <see cref="InvalidDataException"/> is sealed.
/// </summary>
public sealed class ArrayFormatException : IOException
{
    public ArrayFormatException(string file, string problem)
        : base(OneLine($"{file}: {problem}")) => File = file;

    public ArrayFormatException(string file, int line, string problem)
        : base(OneLine($"{file}:{line}: {problem}")) => (File, Line) = (file, line);

    /// <summary>The file (or archive member) as the caller named it.</summary>
    public string File { get; }

    /// <summary>The 1-based line of a text file, when the problem is on one.</summary>
    public int? Line { get; }

    // Header text and field values are quoted into messages; a stray newline must not split the line.
    private static string OneLine(string s) => s.Replace("\r\n", " ").Replace('\n', ' ').Replace('\r', ' ');
}
