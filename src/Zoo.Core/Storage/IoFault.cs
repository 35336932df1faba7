namespace Zoo.Core;

/// <summary>
/// Storage failures that pass when the disk is freed, remounted writable or its permissions mended (ENOSPC, EDQUOT,
/// EROFS, EACCES, EPERM, EIO): a job that meets one waits and retries instead of failing for good.
/// </summary>
public static class IoFault
{
    // .NET on Unix puts the errno in IOException.HResult (EACCES and EPERM become UnauthorizedAccessException).
    private static readonly Dictionary<int, string> Transient = new()
    {
        [5] = "input/output error", [28] = "no space left on device", [30] = "read-only file system", [122] = "disk quota exceeded",
    };

    /// <summary>What went wrong in a few words, when <paramref name="e"/> (or an inner exception) is a transient storage failure.</summary>
    public static string? Describe(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is UnauthorizedAccessException) return "permission denied";
            if (x is IOException io && Transient.TryGetValue(io.HResult & 0xFFFF, out var what)) return what;
        }
        return null;
    }
}
