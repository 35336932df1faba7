using System.Linq;
using Microsoft.CodeAnalysis;

namespace Zoo.Generators
{
    /// <summary>Authoring mistakes in config specs and plugin classes, each with an id and a precise location.</summary>
    internal static class Diagnostics
    {
        private const string Category = "Zoo.Authoring";

        private static DiagnosticDescriptor Error(string id, string title, string message) =>
            new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor NotPartial = Error("ZOO001", "Spec must be partial",
            "'{0}' has [{1}] but is not partial; add the partial modifier so the generator can complete it");

        public static readonly DiagnosticDescriptor UnsupportedType = Error("ZOO002", "Unsupported hyperparameter type",
            "Hyperparameter '{0}' has type '{1}'; supported: int, long, double, bool, string, enums, int[] and Part<T> of a part family (ILikelihoodPlugin, IPriorPlugin, IEncoderPlugin, IDecoderPlugin, IDataPlugin, IModelPlugin)");

        public static readonly DiagnosticDescriptor DuplicateKey = Error("ZOO003", "Duplicate config key",
            "Properties '{0}' and '{1}' both map to the config key '{2}'");

        public static readonly DiagnosticDescriptor DefaultOutOfRange = Error("ZOO004", "Default outside its range",
            "The default of '{0}' ({1}) is outside its [Range({2}, {3})]");

        /// <summary>{1} is the fix that works for the symbol: <see cref="KeyFix"/> or <see cref="PluginFix"/>.</summary>
        public static readonly DiagnosticDescriptor Undocumented = Error("ZOO005", "Missing description",
            "'{0}' has no description; {1} (`zoo list` shows it)");

        /// <summary>A config key's description: System.ComponentModel's [Description] or the property's doc comment.</summary>
        public const string KeyFix = "add [Description(\"...\")] (System.ComponentModel) or a /// <summary> above the property";

        /// <summary>A plugin's description: the attribute's Description or the class's doc comment; [Description] on a class is not read.</summary>
        public static string PluginFix(string name) =>
            $"write [ZooPlugin(\"{name}\", Description = \"...\")] or a /// <summary> above the class ([Description] is not read on a plugin class)";

        public static readonly DiagnosticDescriptor DuplicateName = Error("ZOO006", "Duplicate plugin name",
            "'{0}' and '{1}' are both {2} plugins named '{3}'; names are unique per family");

        public static readonly DiagnosticDescriptor InvalidName = Error("ZOO007", "Invalid plugin name",
            "'{0}' is not a valid plugin name; use lower-case kebab-case (letters and digits, single hyphens, starting with a letter), e.g. 'beta-vae'");

        public static readonly DiagnosticDescriptor BadRule = Error("ZOO008", "Config rule method not found",
            "[ConfigRule(\"{0}\")] on '{1}' names no accessible instance method '{0}()' without parameters returning string? (on an abstract record it may not be private: the records deriving from it run it)");

        public static readonly DiagnosticDescriptor NotAPlugin = Error("ZOO009", "Not a plugin class",
            "'{0}' has [ZooPlugin] but is {1}; derive a concrete class from LikelihoodPlugin<T>, PriorPlugin<T>, EncoderPlugin<T>, DecoderPlugin<T>, DataPlugin<T>, ModelPlugin<T> or CallbackPlugin<T>");

        public static readonly DiagnosticDescriptor ConfigNotGenerated = Error("ZOO010", "Plugin config is not a [ZooConfig] record",
            "Plugin '{0}' uses config '{1}', which has no [ZooConfig]; mark that record [ZooConfig] and partial");

        public static readonly DiagnosticDescriptor BadSpecShape = Error("ZOO011", "Config spec shape",
            "'{0}' cannot be a config spec: {1}");

        public static readonly DiagnosticDescriptor MisappliedConstraint = Error("ZOO012", "Constraint does not apply",
            "[{0}] on '{1}' does not apply to a {2} key");

        public static readonly DiagnosticDescriptor DefaultNotAllowed = Error("ZOO013", "Default not among the allowed values",
            "The default of '{0}' ('{1}') is not one of its [AllowedValues]");

        private static readonly DiagnosticDescriptor[] All =
        {
            NotPartial, UnsupportedType, DuplicateKey, DefaultOutOfRange, Undocumented, DuplicateName, InvalidName, BadRule,
            NotAPlugin, ConfigNotGenerated, BadSpecShape, MisappliedConstraint, DefaultNotAllowed,
        };

        public static DiagnosticDescriptor ById(string id) => All.First(d => d.Id == id);
    }
}
