using System.Text.RegularExpressions;

namespace Zoo.Web.Api;

/// <summary>
/// Which key a config problem is about, read off the problem's text as the schema words it ("epochs = 0 is out of
/// range …", "unknown key 'latnt' (did you mean 'latent'?) …", "encoder.hidden is given twice", "'x': dataset 'mnist'
/// has no keys"), so a form can show it next to that key's field. A problem that names no key is the settings' as a whole.
/// </summary>
public static partial class ConfigProblems
{
    public const string Whole = "settings";

    public static string KeyOf(string problem)
    {
        foreach (var pattern in new[] { UnknownKey(), Quoted(), Leading() })
            if (pattern.Match(problem) is { Success: true } m) return m.Groups["key"].Value;
        return Whole;
    }

    /// <summary>Problems grouped by key, in the order they came (the shape of RFC 7807 validation problems' `errors`).</summary>
    public static Dictionary<string, string[]> ByKey(IEnumerable<string> problems) =>
        problems.GroupBy(KeyOf).ToDictionary(g => g.Key, g => g.ToArray());

    [GeneratedRegex(@"^unknown key '(?<key>[^']+)'")]
    private static partial Regex UnknownKey();

    [GeneratedRegex(@"^'(?<key>[a-z0-9][a-z0-9.-]*)'")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"^(?<key>[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*)( = | is given twice| must |: )")]
    private static partial Regex Leading();
}
