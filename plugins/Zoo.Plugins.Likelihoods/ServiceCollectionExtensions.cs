using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Zoo.Core.Plugins;
using Zoo.Plugins.Likelihoods.Bernoulli;
using Zoo.Plugins.Likelihoods.Gaussian;

namespace Zoo.Plugins.Likelihoods;

public static class ServiceCollectionExtensions
{
    /// <summary>Registers the likelihood plugins: bernoulli, gaussian.</summary>
    public static IServiceCollection AddZooLikelihoods(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPlugin, BernoulliLikelihoodPlugin>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPlugin, GaussianLikelihoodPlugin>());
        return services;
    }
}
