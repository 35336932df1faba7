using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Zoo.Core.Plugins;
using Zoo.Hosting.Jobs;
using Zoo.Hosting.PluginLoading;

namespace Zoo.Hosting;

public static class HostingServiceCollectionExtensions
{
    /// <summary>
    /// The one container set-up the CLI and the service share: the catalog, the built-in plugin assemblies of
    /// <paramref name="builtInFolder"/>, then the drop-in assemblies of <paramref name="home"/>'s plugins folder, both
    /// through the same loader (broken ones skipped with a logged reason). Returns what the home's folder held.
    /// </summary>
    public static PluginLoadReport AddZooRuntime(this IServiceCollection services, ZooHome home, string builtInFolder, ILogger logger)
    {
        services.AddZooCore();
        services.AddSingleton(home);
        var taken = new HashSet<string>();
        var builtIn = PluginLoader.Load(services, builtInFolder, taken, logger);
        if (builtIn.Loaded.Count == 0)
            logger.LogWarning("No built-in plugins in {Folder}: build the zoo command (dotnet build) so that they are copied there", builtInFolder);
        var report = PluginLoader.Load(services, home.Plugins, taken, logger);
        services.AddSingleton(report);
        return report;
    }

    /// <summary>The background training service and its queue; shutdown waits for running jobs to checkpoint.</summary>
    public static IServiceCollection AddZooJobService(this IServiceCollection services, Action<JobServiceOptions>? configure = null)
    {
        services.AddSingleton<JobStore>();
        services.AddHostedService<JobService>();
        services.Configure<JobServiceOptions>(o => configure?.Invoke(o));
        // A batch boundary comes within milliseconds, but the epoch's test evaluation and checkpoint can take seconds.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(2));
        return services;
    }
}
