namespace Zoo.Core.Configuration;

/// <summary>
/// Marks a partial config record for Zoo.Generators. Its public init properties documented with [Description] or a
/// /// &lt;summary&gt; become config keys (kebab-case), constrained by [Range], [AllowedValues] and [Required]; keys of
/// base records come first. For a concrete record the generator writes its <see cref="ConfigSchema{T}"/> (binding,
/// validation, JSON) and makes it an <see cref="IZooConfig{TSelf}"/>; mistakes are compile errors ZOO001….
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ZooConfigAttribute : Attribute;

/// <summary>
/// A rule that spans several keys: names an instance method of the record taking no arguments and returning a
/// problem message (string?) or null. Rules run after every key is valid on its own; base records' rules first.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ConfigRuleAttribute(string method) : Attribute
{
    public string Method { get; } = method;
}

/// <summary>
/// On a part property: the part's keys are written at the record's own level rather than as `PART.KEY` (a run's
/// model: `zoo train vae latent=20`, not `model.latent=20`). At most one part of a record may be inline.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class InlineKeysAttribute : Attribute;
