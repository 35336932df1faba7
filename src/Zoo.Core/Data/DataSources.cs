namespace Zoo.Core.Data;

/// <summary>Where the repository keeps the data the package managers installed (scripts/setup.sh): data/ at its root.</summary>
public static class DataSources
{
    /// <summary>
    /// The repository's data folder: data/ at the root, found from the working directory upwards, else from the
    /// program's own folder upwards (so `zoo serve` finds it wherever it is started).
    /// </summary>
    public static string DataRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Zoo.sln"))) return Path.Combine(dir.FullName, "data");
        return Path.GetFullPath("data");
    }
}
