using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Zoo.Generators
{
    /// <summary>Turns one [ZooPlugin] class into a <see cref="PluginSpec"/> and its diagnostics.</summary>
    internal static class PluginParser
    {
        public const string ZooPluginAttribute = "Zoo.Core.Plugins.ZooPluginAttribute";

        private static readonly Regex ValidName = new("^[a-z][a-z0-9]*(-[a-z0-9]+)*$");

        /// <summary>The plugin base classes and the family each stands for.</summary>
        private static readonly Dictionary<string, string> Families = new()
        {
            ["Zoo.Core.Plugins.LikelihoodPlugin<TConfig>"] = "Likelihood",
            ["Zoo.Core.Plugins.PriorPlugin<TConfig>"] = "Prior",
            ["Zoo.Core.Plugins.EncoderPlugin<TConfig>"] = "Encoder",
            ["Zoo.Core.Plugins.DecoderPlugin<TConfig>"] = "Decoder",
            ["Zoo.Core.Plugins.DataPlugin<TConfig>"] = "Data",
            ["Zoo.Core.Plugins.ModelPlugin<TConfig>"] = "Model",
            ["Zoo.Core.Plugins.CallbackPlugin<TConfig>"] = "Callback",
        };

        public static ParseResult<PluginSpec> Parse(GeneratorAttributeSyntaxContext ctx, CancellationToken ct)
        {
            var type = (INamedTypeSymbol)ctx.TargetSymbol;
            var node = (TypeDeclarationSyntax)ctx.TargetNode;
            var diagnostics = new List<DiagnosticInfo>();
            var at = node.Identifier.GetLocation();
            var attr = ctx.Attributes[0];
            var attrLocation = attr.ApplicationSyntaxReference?.GetSyntax(ct).GetLocation() ?? at;

            if (!node.Modifiers.Any(SyntaxKind.PartialKeyword))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NotPartial, at, type.Name, "ZooPlugin"));

            string? family = null;
            ITypeSymbol? config = null;
            for (var b = type.BaseType; b is not null && family is null; b = b.BaseType)
                if (Families.TryGetValue(b.OriginalDefinition.ToDisplayString(), out var f)) { family = f; config = b.TypeArguments[0]; }
            if (family is null || type.IsAbstract || type.IsGenericType || type.ContainingType is not null)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NotAPlugin, at, type.Name,
                    family is null ? "not derived from a plugin base class" : type.IsAbstract ? "abstract" : type.IsGenericType ? "generic" : "nested in another type"));
            else if (config is not null && !config.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == ConfigParser.ZooConfigAttribute))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.ConfigNotGenerated, at, type.Name, config.Name));

            var name = attr.ConstructorArguments.FirstOrDefault().Value as string ?? "";
            if (!ValidName.IsMatch(name))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidName, attrLocation, name));

            var description = attr.NamedArguments.FirstOrDefault(a => a.Key == "Description").Value.Value as string
                              ?? Syntax.DocSummary(node);
            if (string.IsNullOrWhiteSpace(description))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.Undocumented, at, type.Name, Diagnostics.PluginFix(name)));

            var ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
            // A partial plugin class gets its Name and Description even when a ZOO error is reported on it, so that the
            // ZOO error is the only one its author sees (no follow-on CS0534 for the abstract members); only a plugin
            // without errors is registered.
            bool emittable = node.Modifiers.Any(SyntaxKind.PartialKeyword) && family is not null && !type.IsAbstract && !type.IsGenericType
                             && type.ContainingType is null;
            var spec = emittable
                ? new PluginSpec(ns, type.Name, family!, name, description ?? "", LocationInfo.From(attrLocation), Registered: diagnostics.Count == 0)
                : null;
            return new ParseResult<PluginSpec>(spec, diagnostics.ToEquatable());
        }
    }
}
