using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Zoo.Hosting;

namespace Zoo.Cli;

/// <summary>
/// The container the CLI and `zoo serve` both use: the catalog, the built-in plugin assemblies (each registered
/// through the registration Zoo.Generators wrote for it) and the drop-in assemblies of ZOO_HOME/plugins.
/// </summary>
public static class ZooServices
{
    /// <summary>The plugin assemblies the zoo command references at build time.</summary>
    public static IReadOnlyList<Assembly> BuiltIn { get; } =
    [
        typeof(Zoo.Plugins.Likelihoods.ZooPluginRegistration).Assembly,
        typeof(Zoo.Plugins.Priors.ZooPluginRegistration).Assembly,
        typeof(Zoo.Plugins.Encoders.ZooPluginRegistration).Assembly,
        typeof(Zoo.Plugins.Vae.ZooPluginRegistration).Assembly,
        typeof(Zoo.Plugins.Vfae.ZooPluginRegistration).Assembly,
    ];

    public static IServiceCollection AddZoo(this IServiceCollection services, ZooHome home, ILogger logger)
    {
        services.AddZooRuntime(home, BuiltIn, logger);
        return services;
    }

    public static ServiceProvider Build(ZooHome? home = null, TextWriter? warnings = null) =>
        new ServiceCollection().AddZoo(home ?? ZooHome.Resolve(), warnings is null ? NullLogger.Instance : new LineLogger(warnings, LogLevel.Warning))
            .BuildServiceProvider();

    /// <summary>"zoo: warning: ..." lines (a skipped plugin) on the CLI's error stream.</summary>
    internal sealed class LineLogger(TextWriter writer, LogLevel min) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel level) => level >= min;

        public void Log<TState>(LogLevel level, EventId id, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(level)) writer.WriteLine($"zoo: {(level >= LogLevel.Error ? "error" : level == LogLevel.Warning ? "warning" : "info")}: {formatter(state, exception)}");
        }
    }
}
