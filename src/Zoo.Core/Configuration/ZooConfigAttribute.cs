namespace Zoo.Core.Configuration;

/// <summary>
/// Marks a partial config record for Zoo.Generators: its [Description]-annotated init properties become config
/// keys, and the generator writes the key table (DeclaredKeys) and reports authoring mistakes as ZOO001….
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class ZooConfigAttribute : Attribute;
