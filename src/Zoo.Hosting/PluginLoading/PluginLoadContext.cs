using System.Reflection;
using System.Runtime.Loader;

namespace Zoo.Hosting.PluginLoading;

/// <summary>
/// One drop-in plugin assembly and its private dependencies (resolved through its .deps.json by
/// AssemblyDependencyResolver). Every assembly the host itself has (its trusted platform assemblies: the framework,
/// Zoo.Core, Zoo.Torch, Microsoft.Extensions.*, the built-in plugins) comes from the host's context instead, so
/// contract types unify and libtorch loads once.
/// </summary>
public sealed class PluginLoadContext(string mainAssemblyPath) : AssemblyLoadContext(Path.GetFileNameWithoutExtension(mainAssemblyPath))
{
    private static readonly HashSet<string> HostAssemblies = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(Path.GetFileNameWithoutExtension).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);

    private readonly AssemblyDependencyResolver resolver = new(mainAssemblyPath);

    public static bool IsHostAssembly(string name) => HostAssemblies.Contains(name);

    protected override Assembly? Load(AssemblyName name)
    {
        if (name.Name is { } n && IsHostAssembly(n)) return null; // shared: resolved by the default context
        var path = resolver.ResolveAssemblyToPath(name);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
