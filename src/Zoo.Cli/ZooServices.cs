using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Zoo.Hosting;

namespace Zoo.Cli;

/// <summary>
/// The container the CLI and `zoo serve` both use: the catalog, the built-in plugins and the drop-in assemblies of
/// ZOO_HOME/plugins. The zoo command references no plugin project: the built-in ones sit in plugins/ beside zoo.dll
/// and are loaded the way a drop-in is.
/// </summary>
public static class ZooServices
{
    /// <summary>Where the built-in plugin assemblies are: plugins/NAME/NAME.dll beside the program.</summary>
    public static string BuiltInFolder => Path.Combine(AppContext.BaseDirectory, "plugins");

    public static IServiceCollection AddZoo(this IServiceCollection services, ZooHome home, ILogger logger)
    {
        services.AddZooRuntime(home, BuiltInFolder, logger);
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
