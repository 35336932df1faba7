using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Zoo.Core.Plugins;

public static class ServiceCollectionExtensions
{
    /// <summary>Registers the plugin catalog over every <see cref="IPlugin"/> registered.</summary>
    public static IServiceCollection AddZooCore(this IServiceCollection services)
    {
        services.TryAddSingleton<PluginCatalog>();
        return services;
    }

    /// <summary>
    /// Registers the plugins of <paramref name="assembly"/> through the registration Zoo.Generators wrote for it
    /// (found by its [assembly: ZooPluginAssembly] marker, not by scanning types).
    /// </summary>
    public static IZooPluginRegistration AddZooPluginAssembly(this IServiceCollection services, Assembly assembly)
    {
        var marker = assembly.GetCustomAttribute<ZooPluginAssemblyAttribute>() ??
            throw new InvalidOperationException($"{assembly.GetName().Name} has no [assembly: ZooPluginAssembly] (is it a Zoo plugin assembly built with Zoo.Generators?)");
        var registration = Activator.CreateInstance(marker.Registration) as IZooPluginRegistration ??
            throw new InvalidOperationException($"{assembly.GetName().Name}: {marker.Registration.FullName} is not an IZooPluginRegistration");
        registration.Register(services);
        return registration;
    }
}
