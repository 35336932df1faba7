using System.Globalization;
using System.Text.RegularExpressions;

namespace Zoo.Core;

/// <summary>
/// The one naming rule for work in progress: NAME.tmp-PID (files and checkpoint folders; safetensors add -GUID).
/// A process killed mid-write leaves such an entry behind; once its PID is gone it is debris and is removed when a
/// service or a trainer next starts in that folder.
/// </summary>
public static partial class StaleTemps
{
    public static string TempPath(string full) => $"{full}.tmp-{Environment.ProcessId}";

    [GeneratedRegex(@"\.tmp-(\d+)(-[0-9a-f]{32})?$")]
    private static partial Regex TempName();

    /// <summary>The PID in a temp entry's name, or null when the name is not a temp entry.</summary>
    public static int? Owner(string name) =>
        TempName().Match(name) is { Success: true } m && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;

    /// <summary>
    /// Removes the temp files and folders in <paramref name="folder"/> (and its sub-folders down to
    /// <paramref name="depth"/>) whose process is no longer alive, and returns what it removed. The caller must hold
    /// the folder (a lock) so that its own PID's entries are debris too.
    /// </summary>
    public static IReadOnlyList<string> Remove(string folder, int depth = 0)
    {
        var removed = new List<string>();
        if (!Directory.Exists(folder)) return removed;
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder))
        {
            var name = Path.GetFileName(entry);
            if (Owner(name) is { } pid && (pid == Environment.ProcessId || !Alive(pid)))
            {
                try
                {
                    if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true); else File.Delete(entry);
                    removed.Add(entry);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // tried again next start
            }
            else if (depth > 0 && Directory.Exists(entry)) removed.AddRange(Remove(entry, depth - 1));
        }
        return removed;
    }

    // /proc is Linux's; elsewhere every owner counts as alive and nothing is removed.
    private static bool Alive(int pid) => !Directory.Exists("/proc/self") || Directory.Exists($"/proc/{pid}");
}
