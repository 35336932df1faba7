using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Zoo.Core.Plugins;

namespace Zoo.Hosting.PluginLoading;

/// <summary>A plugin assembly that was loaded, with the plugins it registered ("prior gaussian-mixture").</summary>
public sealed record LoadedPlugin(string Path, IReadOnlyList<string> Plugins);

/// <summary>A plugin assembly that was skipped, and why.</summary>
public sealed record SkippedPlugin(string Path, string Reason);

public sealed record PluginLoadReport(IReadOnlyList<LoadedPlugin> Loaded, IReadOnlyList<SkippedPlugin> Skipped);

/// <summary>
/// Loads drop-in plugin assemblies from a folder: each <c>NAME/NAME.dll</c> (a plugin's build output, with its
/// .deps.json) in its own <see cref="PluginLoadContext"/>. An assembly is registered through its generated
/// [assembly: ZooPluginAssembly] marker. One that is broken (built against another Zoo.Core, no marker, a missing
/// dependency, a registration that throws, a name another plugin already has) is skipped with its path and reason
/// in the log; the others still load.
/// </summary>
public static class PluginLoader
{
    private static readonly Version HostContract = typeof(IPlugin).Assembly.GetName().Version!;

    public static PluginLoadReport Load(IServiceCollection services, string folder, ISet<string> taken, ILogger logger)
    {
        var loaded = new List<LoadedPlugin>();
        var skipped = new List<SkippedPlugin>();
        if (!Directory.Exists(folder)) return new PluginLoadReport(loaded, skipped);
        foreach (var dir in Folders(folder))
        {
            var path = MainAssembly(dir);
            try
            {
                var plugins = LoadOne(services, path, taken);
                foreach (var p in plugins) taken.Add(p);
                loaded.Add(new LoadedPlugin(path, plugins));
                logger.LogInformation("Loaded plugin assembly {Path}: {Plugins}", path, string.Join(", ", plugins));
            }
            catch (Exception e)
            {
                var reason = Reason(e);
                skipped.Add(new SkippedPlugin(path, reason));
                logger.LogWarning("Skipped plugin assembly {Path}: {Reason}", path, reason);
            }
        }
        return new PluginLoadReport(loaded, skipped);
    }

    /// <summary>
    /// The plugin folders in <paramref name="folder"/> (NAME/, holding NAME.dll), in ordinal order; none when it does
    /// not exist. Hidden folders are left out: they are an install's staging copy or a plugin being removed
    /// (.NAME.tmp-PID, .NAME.old.tmp-PID), never a plugin.
    /// </summary>
    public static IReadOnlyList<string> Folders(string folder) =>
        Directory.Exists(folder)
            ? [.. Directory.GetDirectories(folder).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal)]
            : [];

    /// <summary>
    /// The plugins a folder's assembly provides ("prior gaussian-mixture"), loaded into a scratch collection; empty
    /// when it cannot be loaded (why is <c>zoo plugins</c>' business).
    /// </summary>
    public static IReadOnlyList<string> Provides(string dir)
    {
        try { return LoadOne(new ServiceCollection(), MainAssembly(dir), new HashSet<string>()); }
        catch (Exception) { return []; }
    }

    /// <summary>
    /// Removes a plugin folder all at once: renamed aside to a hidden .NAME.old.tmp-PID (which the loader skips and
    /// <c>zoo serve</c> clears once this process is gone), then deleted. A crash leaves the plugin either whole or
    /// gone, never half of it.
    /// </summary>
    public static void Remove(string dir)
    {
        var aside = MoveAside(dir);
        Directory.Delete(aside, recursive: true);
    }

    /// <summary>Renames a plugin folder to a hidden .NAME.old.tmp-PID beside it and returns that path (see <see cref="Remove"/>).</summary>
    public static string MoveAside(string dir)
    {
        dir = Path.TrimEndingDirectorySeparator(dir);
        var aside = Path.Combine(Path.GetDirectoryName(dir)!, $".{Path.GetFileName(dir)}.old.tmp-{Environment.ProcessId}");
        if (Directory.Exists(aside)) Directory.Delete(aside, recursive: true);
        Directory.Move(dir, aside);
        return aside;
    }

    /// <summary>A plugin folder's main assembly: NAME/NAME.dll.</summary>
    public static string MainAssembly(string dir) => Path.Combine(dir, Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)) + ".dll");

    /// <summary>Loads one plugin assembly (checks, registration) or throws with the reason it cannot be used.</summary>
    public static IReadOnlyList<string> LoadOne(IServiceCollection services, string path, ISet<string> taken)
    {
        if (!File.Exists(path)) throw new PluginLoadException($"expected the plugin's build output with {System.IO.Path.GetFileName(path)} in its folder");
        CheckContract(path);
        var assembly = new PluginLoadContext(path).LoadFromAssemblyPath(path);
        var marker = assembly.GetCustomAttribute<ZooPluginAssemblyAttribute>() ??
            throw new PluginLoadException("no [assembly: ZooPluginAssembly] marker (build it with Zoo.Generators: a project under plugins/ does)");
        var registration = Activator.CreateInstance(marker.Registration) as IZooPluginRegistration ??
            throw new PluginLoadException($"{marker.Registration.FullName} is not an IZooPluginRegistration");
        var clash = registration.Plugins.FirstOrDefault(taken.Contains);
        if (clash is not null) throw new PluginLoadException($"duplicate name: another plugin already registers {clash}");
        // Register into a scratch collection first, so a registration that throws half-way adds nothing.
        var scratch = new ServiceCollection();
        registration.Register(scratch);
        foreach (var d in scratch) services.Add(d);
        return registration.Plugins;
    }

    /// <summary>The plugin must be built against this host's Zoo.Core (same major.minor); read from metadata, before loading.</summary>
    private static void CheckContract(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        if (!pe.HasMetadata) throw new PluginLoadException("not a .NET assembly");
        var md = pe.GetMetadataReader();
        foreach (var handle in md.AssemblyReferences)
        {
            var reference = md.GetAssemblyReference(handle);
            if (md.GetString(reference.Name) != "Zoo.Core") continue;
            var v = reference.Version;
            if (v.Major != HostContract.Major || v.Minor != HostContract.Minor)
                throw new PluginLoadException($"built against Zoo.Core {v.Major}.{v.Minor}; this host has Zoo.Core {HostContract.Major}.{HostContract.Minor}");
            return;
        }
        throw new PluginLoadException("does not reference Zoo.Core, so it cannot contain Zoo plugins");
    }

    public static string Reason(Exception e) => e switch
    {
        PluginLoadException p => p.Message,
        BadImageFormatException => "not a .NET assembly",
        FileNotFoundException f => $"missing dependency: {f.FileName ?? f.Message}",
        FileLoadException f => $"cannot load {f.FileName}: {f.Message}",
        TypeLoadException t => $"missing or incompatible type: {t.Message}",
        TargetInvocationException { InnerException: { } inner } => Reason(inner),
        _ => $"{e.GetType().Name}: {e.Message.Split('\n')[0]}",
    };
}

/// <summary>Why a plugin assembly cannot be used (a one-line reason).</summary>
public sealed class PluginLoadException(string message) : Exception(message);
