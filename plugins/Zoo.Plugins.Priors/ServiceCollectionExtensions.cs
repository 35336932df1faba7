using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Zoo.Core.Plugins;
using Zoo.Plugins.Priors.StandardNormal;

namespace Zoo.Plugins.Priors;

public static class ServiceCollectionExtensions
{
    /// <summary>Registers the prior plugins: standard-normal.</summary>
    public static IServiceCollection AddZooPriors(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPlugin, StandardNormalPriorPlugin>());
        return services;
    }
}
