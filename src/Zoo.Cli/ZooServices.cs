using Microsoft.Extensions.DependencyInjection;
using Zoo.Core.Plugins;
using Zoo.Plugins.Encoders;
using Zoo.Plugins.Likelihoods;
using Zoo.Plugins.Priors;
using Zoo.Plugins.Vae;

namespace Zoo.Cli;

/// <summary>The container the CLI resolves models and plugins from: the catalog plus the built-in plugin families.</summary>
public static class ZooServices
{
    public static IServiceCollection AddBuiltInZoo(this IServiceCollection services) => services
        .AddZooCore()
        .AddZooLikelihoods()
        .AddZooPriors()
        .AddZooEncoders()
        .AddZooVaeModels();

    public static ServiceProvider Build() => new ServiceCollection().AddBuiltInZoo().BuildServiceProvider();
}
