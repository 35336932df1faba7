using Microsoft.Extensions.DependencyInjection;

namespace Zoo.Core.Plugins;

/// <summary>
/// Marks a partial plugin class (deriving from LikelihoodPlugin, PriorPlugin, EncoderPlugin, DecoderPlugin, DataPlugin,
/// ModelPlugin or CallbackPlugin of a [ZooConfig] record) for Zoo.Generators: it writes the Name and Description
/// overrides and adds the plugin to its assembly's generated registration (<see cref="IZooPluginRegistration"/>).
/// The name is kebab-case and unique per family; the description defaults to the class's /// &lt;summary&gt;.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ZooPluginAttribute(string name) : Attribute
{
    public string Name { get; } = name;
    public string? Description { get; init; }
}

/// <summary>
/// What a plugin assembly's generated registration does: adds each of its plugins to DI as <see cref="IPlugin"/>.
/// The host finds it through <see cref="ZooPluginAssemblyAttribute"/> without scanning types.
/// </summary>
public interface IZooPluginRegistration
{
    /// <summary>"kind name" of every plugin the assembly registers (for logs and error messages).</summary>
    IReadOnlyList<string> Plugins { get; }

    void Register(IServiceCollection services);
}

/// <summary>Assembly-level marker the generator writes: names the assembly's <see cref="IZooPluginRegistration"/>.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class ZooPluginAssemblyAttribute(Type registration) : Attribute
{
    public Type Registration { get; } = registration;
}
