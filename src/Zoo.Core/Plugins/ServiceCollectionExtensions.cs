using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Zoo.Core.Plugins;

public static class ServiceCollectionExtensions
{
    /// <summary>Registers the plugin catalog over every <see cref="IPlugin"/> registered (add plugin families with their own Add… calls).</summary>
    public static IServiceCollection AddZooCore(this IServiceCollection services)
    {
        services.TryAddSingleton<PluginCatalog>();
        return services;
    }
}
