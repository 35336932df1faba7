namespace Zoo.Web;

/// <summary>How `zoo serve --urls` listens: its addresses, the bearer token (when one is set) and its request limits.</summary>
public sealed record WebServeOptions
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Addresses to bind (Kestrel URLs; port 0 picks a free port).</summary>
    public IReadOnlyList<string> Urls { get; init; } = [DefaultUrl];

    /// <summary>The token every API request must carry as `Authorization: Bearer TOKEN`; required off loopback, optional on it.</summary>
    public string? Token { get; init; }

    /// <summary>Largest request body: a job is a model name and a few settings, a few KiB at most.</summary>
    public long MaxRequestBodyBytes { get; init; } = 64 * 1024;

    /// <summary>The dashboard's static files (copied beside the program at build time).</summary>
    public string DashboardFolder { get; init; } = Path.Combine(AppContext.BaseDirectory, "dashboard");
}
