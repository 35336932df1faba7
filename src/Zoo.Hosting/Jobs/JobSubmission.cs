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
    /// <paramref name="ranks"/>: the data-parallel ranks the job trains with (1 to <see cref="JobSpec.MaxRanks"/>).
    public static JobSpec Check(PluginCatalog catalog, string model, IReadOnlyList<KeyValuePair<string, string>> settings, int ranks = 1)
    {
        if (ranks is < 1 or > JobSpec.MaxRanks)
            throw new ArgumentException($"ranks = {ranks} is out of range [1, {JobSpec.MaxRanks}] (the ranks of a data-parallel job, started on the service's machine)");
        RunConfig.Bind(model, settings, catalog);
        return new JobSpec(model, settings.ToDictionary(kv => kv.Key, kv => kv.Value), ranks);
    }
}
