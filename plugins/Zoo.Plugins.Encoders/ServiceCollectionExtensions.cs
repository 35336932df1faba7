using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Zoo.Core.Plugins;
using Zoo.Plugins.Encoders.GaussianMlp;

namespace Zoo.Plugins.Encoders;

public static class ServiceCollectionExtensions
{
    /// <summary>Registers the encoder plugins: gaussian-mlp.</summary>
    public static IServiceCollection AddZooEncoders(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPlugin, GaussianMlpEncoderPlugin>());
        return services;
    }
}
