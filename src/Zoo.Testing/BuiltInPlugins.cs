using Microsoft.Extensions.DependencyInjection;
using Zoo.Core.Plugins;
using Zoo.Plugins.Data;
using Zoo.Plugins.Decoders;
using Zoo.Plugins.Encoders;
using Zoo.Plugins.Likelihoods;
using Zoo.Plugins.Priors;
using Zoo.Plugins.Reporting;
using Zoo.Plugins.Vae;
using Zoo.Plugins.Vfae;

namespace Zoo.Testing;

/// <summary>The built-in plugins in a DI container, for tests and hosts that reference them.</summary>
public static class BuiltInPlugins
{
    /// <summary>The catalog and every built-in plugin, as zoo ships them (plugins/BuiltIn.props), each through its generated registration.</summary>
    public static IServiceCollection AddZooBuiltInPlugins(this IServiceCollection services) =>
        services.AddZooCore().AddZooPluginsLikelihoods().AddZooPluginsPriors().AddZooPluginsEncoders().AddZooPluginsDecoders()
            .AddZooPluginsData().AddZooPluginsReporting().AddZooPluginsVae().AddZooPluginsVfae();
}
