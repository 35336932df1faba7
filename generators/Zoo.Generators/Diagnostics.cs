using System.Linq;
using Microsoft.CodeAnalysis;

namespace Zoo.Generators
{
    /// <summary>Authoring mistakes in config specs, each with an id and a precise location.</summary>
    internal static class Diagnostics
    {
        private const string Category = "Zoo.Config";

        public static readonly DiagnosticDescriptor NotPartial = new("ZOO001", "Config spec must be partial",
            "'{0}' has [ZooConfig] but is not partial; add the partial modifier so the generator can complete it", Category, DiagnosticSeverity.Error, true);

        public static readonly DiagnosticDescriptor UnsupportedType = new("ZOO002", "Unsupported hyperparameter type",
            "Hyperparameter '{0}' has type '{1}'; supported: int, long, double, bool, string, enums and int[]", Category, DiagnosticSeverity.Error, true);

        public static readonly DiagnosticDescriptor DuplicateKey = new("ZOO003", "Duplicate config key",
            "Properties '{0}' and '{1}' both map to the config key '{2}'", Category, DiagnosticSeverity.Error, true);

        public static readonly DiagnosticDescriptor DefaultOutOfRange = new("ZOO004", "Default outside its range",
            "The default of '{0}' ({1}) is outside its [Range({2}, {3})]", Category, DiagnosticSeverity.Error, true);

        public static readonly DiagnosticDescriptor Undocumented = new("ZOO005", "Hyperparameter without a description",
            "Hyperparameter '{0}' has no [Description]; every config key is documented for `zoo list`", Category, DiagnosticSeverity.Error, true);

        private static readonly DiagnosticDescriptor[] All = { NotPartial, UnsupportedType, DuplicateKey, DefaultOutOfRange, Undocumented };

        public static DiagnosticDescriptor ById(string id) => All.First(d => d.Id == id);
    }
}
