using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Cli.Commands;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;

namespace Zoo.Cli.Tests;

/// <summary>`zoo plugins install` binds every config of a plugin to its defaults and refuses one whose defaults are invalid.</summary>
public class InstallChecksTests
{
    /// <summary>A config schema whose defaults fail validation, as a constructor that sets latent = 0 leaves them.</summary>
    public class ConstructorDefaults : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? method, object?[]? args) => method?.Name switch
        {
            nameof(IConfigSchema.Default) => "defaults",
            "get_Keys" => (IReadOnlyList<ConfigKey>)[new ConfigKey("latent", "int", "0", "latent units", "[1, 4096]", null)],
            nameof(IConfigSchema.Validate) => (IReadOnlyList<string>)["latent = 0 is out of range [1, 4096]"],
            _ => throw new NotSupportedException(method?.Name),
        };
    }

    private sealed class Plugin(IConfigSchema config) : IPlugin
    {
        public PluginKind Kind => PluginKind.Model;
        public string Name => "acme-vae";
        public string Description => "a model whose config sets its defaults in a constructor";
        public IConfigSchema Config => config;
    }

    [Fact]
    public void A_plugin_whose_defaults_are_invalid_is_named_with_the_key_and_value()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IPlugin>(new Plugin(DispatchProxy.Create<IConfigSchema, ConstructorDefaults>()));
        JobCommands.InvalidDefaults(services).ShouldBe("model acme-vae: its defaults are invalid: latent = 0 is out of range [1, 4096]");
    }

    [Fact]
    public void Every_built_in_plugin_passes_the_install_check()
    {
        using var provider = ZooServices.Build();
        var services = new ServiceCollection();
        foreach (var plugin in provider.GetRequiredService<PluginCatalog>().All) services.AddSingleton(plugin);
        services.Count.ShouldBeGreaterThan(20);
        JobCommands.InvalidDefaults(services).ShouldBeNull();
    }
}
