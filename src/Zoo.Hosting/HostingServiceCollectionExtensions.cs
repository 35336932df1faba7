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
    /// The one container set-up the CLI and the service share: the catalog, the built-in plugin assemblies the host
    /// references (<paramref name="builtIn"/>), then the drop-in assemblies of <paramref name="home"/>'s plugins
    /// folder (broken ones skipped with a logged reason). Returns what the folder held.
    /// </summary>
    public static PluginLoadReport AddZooRuntime(this IServiceCollection services, ZooHome home, IEnumerable<System.Reflection.Assembly> builtIn, ILogger logger)
    {
        services.AddZooCore();
        services.AddSingleton(home);
        var taken = new HashSet<string>();
        foreach (var assembly in builtIn)
            foreach (var p in services.AddZooPluginAssembly(assembly).Plugins) taken.Add(p);
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
