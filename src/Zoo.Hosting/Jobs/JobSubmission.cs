using Zoo.Core.Plugins;
using Zoo.Core.Runs;

namespace Zoo.Hosting.Jobs;

/// <summary>
/// The one check a job passes before it is queued, whoever submits it (`zoo submit`, the HTTP API): the run is bound
/// exactly as `zoo train` binds it, so every problem at every level is reported before anything is written. The
/// service binds it again when it takes the job (a plugin may have gone since).
/// </summary>
public static class JobSubmission
{
    /// <summary>The job, or a <see cref="Zoo.Core.Configuration.ConfigException"/> (every problem) / <see cref="ArgumentException"/> (unknown model).</summary>
    public static JobSpec Check(PluginCatalog catalog, string model, IReadOnlyList<KeyValuePair<string, string>> settings)
    {
        RunConfig.Bind(model, settings, catalog);
        return new JobSpec(model, settings.ToDictionary(kv => kv.Key, kv => kv.Value));
    }
}
