using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Zoo.Generators
{
    // Everything that flows down the pipeline is a value: no symbols or syntax, so steps compare by content and cache.

    /// <summary>
    /// One hyperparameter as parsed. Kind: int, long, double, bool, string, int[], enum or part (a Part&lt;TPlugin&gt;:
    /// <see cref="Family"/> names its plugin family; <see cref="Inline"/> puts its keys at the record's own level).
    /// </summary>
    internal sealed record KeySpec(
        string Key, string Property, string Kind, string? EnumType, EquatableArray<string> EnumMembers, string Description,
        string? RangeMin, string? RangeMax, EquatableArray<string> Allowed, bool Required, string? Family = null, bool Inline = false)
    {
        /// <summary>The type as `zoo list` shows it.</summary>
        public string Display => Kind switch
        {
            "double" => "number", "string" => "text", "int[]" => "int list", "enum" => "choice", "part" => Family!.ToLowerInvariant(), _ => Kind,
        };
    }

    /// <summary>A [ZooConfig] record as parsed: its keys (base records' first) and [ConfigRule] methods.</summary>
    internal sealed record ConfigSpec(string? Namespace, string TypeName, bool IsAbstract, EquatableArray<KeySpec> Keys, EquatableArray<string> Rules)
    {
        public string FullName => Namespace is null ? TypeName : Namespace + "." + TypeName;
    }

    /// <summary>A [ZooPlugin] class as parsed: family, name, description, and where its name is (for ZOO006).</summary>
    internal sealed record PluginSpec(string? Namespace, string TypeName, string Kind, string Name, string Description, LocationInfo NameLocation,
        bool Registered = true)
    {
        public string FullName => Namespace is null ? TypeName : Namespace + "." + TypeName;
    }

    /// <summary>A source location as values.</summary>
    internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan Lines)
    {
        public static LocationInfo From(Location location)
        {
            var line = location.GetLineSpan();
            return new LocationInfo(line.Path ?? "", location.SourceSpan, line.Span);
        }

        public Location ToLocation() => Location.Create(FilePath, Span, Lines);
    }

    /// <summary>A diagnostic as values: its descriptor id, where, and its message arguments.</summary>
    internal sealed record DiagnosticInfo(string Id, LocationInfo Location, EquatableArray<string> Arguments)
    {
        public static DiagnosticInfo Create(DiagnosticDescriptor d, Location location, params string[] args) =>
            new(d.Id, LocationInfo.From(location), args.ToEquatable());

        public Diagnostic ToDiagnostic()
        {
            var args = new object[Arguments.Count];
            for (int i = 0; i < args.Length; i++) args[i] = Arguments.Items[i];
            return Diagnostic.Create(Diagnostics.ById(Id), Location.ToLocation(), args);
        }
    }

    /// <summary>What parsing one annotated type produced: the spec (when usable) and its diagnostics.</summary>
    internal sealed record ParseResult<T>(T? Spec, EquatableArray<DiagnosticInfo> Diagnostics) where T : class;
}
