namespace Zoo.Torch;

/// <summary>
/// The first check of every reader: the path names a file. A folder where a file is expected is named as such,
/// since "not found … install it" sends the user to reinstall what is there.
/// </summary>
public static class InputFile
{
    /// <summary>
    /// Returns <paramref name="path"/> if it is a file. Otherwise throws: "{path} is a directory; expected a {what} file",
    /// or <paramref name="missing"/> (default "{path}: no such {what} file") when nothing is there. <paramref name="via"/>
    /// names where the path came from (an option, a variable): "{path} (via) is a directory; …".
    /// </summary>
    public static string Require(string path, string what, string? missing = null, string? via = null)
    {
        if (File.Exists(path)) return path;
        var named = via is null ? path : $"{path} ({via})";
        if (Directory.Exists(path)) throw new IOException($"{named} is a directory; expected {Article(what)} {what} file");
        throw new FileNotFoundException(missing ?? $"{named}: no such {what} file", path);
    }

    // "an IDX file", "an ARFF file", "a CSV file", "a safetensors file": an acronym goes by its first letter's name.
    private static string Article(string what)
    {
        if (what.Length == 0) return "a";
        bool acronym = what.Length > 1 && char.IsUpper(what[0]) && char.IsUpper(what[1]);
        return (acronym ? "AEFHILMNORSX" : "aeiouAEIOU").Contains(what[0]) ? "an" : "a";
    }
}
