using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Zoo.Core.Plugins;
using Zoo.Plugins.Vae.BernoulliVae;
using Zoo.Plugins.Vae.GaussianVae;

namespace Zoo.Plugins.Vae;

public static class ServiceCollectionExtensions
{
    /// <summary>Registers the VAE model plugins: bernoulli-vae, gaussian-vae.</summary>
    public static IServiceCollection AddZooVaeModels(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPlugin, BernoulliVaePlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPlugin, GaussianVaePlugin>());
        return services;
    }
}
