namespace Zoo.Hosting;

/// <summary>
/// The folder the runtime works in: plugins/ (drop-in plugin assemblies, one folder each), inbox/ (job files
/// waiting for the service) and runs/ (one folder per job: its record, log, metrics, pictures and checkpoint).
/// $ZOO_HOME, else .zoo in the current directory.
/// </summary>
public sealed record ZooHome(string Root)
{
    public string Plugins => Path.Combine(Root, "plugins");
    public string Inbox => Path.Combine(Root, "inbox");
    public string Runs => Path.Combine(Root, "runs");

    public static ZooHome Resolve(string? root = null)
    {
        var env = Environment.GetEnvironmentVariable("ZOO_HOME");
        var path = Path.GetFullPath(root ?? (string.IsNullOrEmpty(env) ? ".zoo" : env));
        if (File.Exists(path))
            throw new IOException($"{path} ({(root is null && !string.IsNullOrEmpty(env) ? "ZOO_HOME" : "--home")}) is a file; expected a folder for plugins/, inbox/ and runs/");
        return new ZooHome(path);
    }
}
