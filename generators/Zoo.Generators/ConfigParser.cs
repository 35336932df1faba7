using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Zoo.Generators
{
    /// <summary>Turns one [ZooConfig] record into a <see cref="ConfigSpec"/> and its diagnostics (parse only; no output).</summary>
    internal static class ConfigParser
    {
        public const string ZooConfigAttribute = "Zoo.Core.Configuration.ZooConfigAttribute";
        private const string ConfigRuleAttribute = "Zoo.Core.Configuration.ConfigRuleAttribute";
        private const string DescriptionAttribute = "System.ComponentModel.DescriptionAttribute";
        private const string RangeAttribute = "System.ComponentModel.DataAnnotations.RangeAttribute";
        private const string AllowedValuesAttribute = "System.ComponentModel.DataAnnotations.AllowedValuesAttribute";
        private const string RequiredAttribute = "System.ComponentModel.DataAnnotations.RequiredAttribute";
        private const string InlineKeysAttribute = "Zoo.Core.Configuration.InlineKeysAttribute";
        private const string PartType = "Zoo.Core.Plugins.Part<TPlugin>";

        /// <summary>The plugin contracts a Part&lt;TPlugin&gt; may refer to, and the family each stands for.</summary>
        private static readonly Dictionary<string, string> PartFamilies = new Dictionary<string, string>
        {
            ["Zoo.Core.Plugins.ILikelihoodPlugin"] = "Likelihood",
            ["Zoo.Core.Plugins.IPriorPlugin"] = "Prior",
            ["Zoo.Core.Plugins.IEncoderPlugin"] = "Encoder",
            ["Zoo.Core.Plugins.IDecoderPlugin"] = "Decoder",
            ["Zoo.Core.Plugins.IDataPlugin"] = "Data",
            ["Zoo.Core.Plugins.IModelPlugin"] = "Model",
        };

        public static ParseResult<ConfigSpec> Parse(GeneratorAttributeSyntaxContext ctx, CancellationToken ct)
        {
            var type = (INamedTypeSymbol)ctx.TargetSymbol;
            var node = (TypeDeclarationSyntax)ctx.TargetNode;
            var diagnostics = new List<DiagnosticInfo>();
            var at = node.Identifier.GetLocation();
            if (!node.Modifiers.Any(SyntaxKind.PartialKeyword))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NotPartial, at, type.Name, "ZooConfig"));
            var shape = ShapeProblem(type);
            if (shape is not null) diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BadSpecShape, at, type.Name, shape));

            // Keys: base records' first (outermost base first), each type's in declaration order.
            var keys = new List<KeySpec>();
            var byKey = new Dictionary<string, string>();
            var chain = new List<INamedTypeSymbol>();
            for (var t = type; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType) chain.Insert(0, t);
            if (shape is not null) chain.Clear(); // not a spec: its members are not keys
            foreach (var declaring in chain)
            {
                var own = SymbolEqualityComparer.Default.Equals(declaring, type);
                foreach (var p in declaring.GetMembers().OfType<IPropertySymbol>())
                {
                    ct.ThrowIfCancellationRequested();
                    if (p.IsStatic || p.IsIndexer || p.IsOverride || p.DeclaredAccessibility != Accessibility.Public || p.SetMethod is null) continue;
                    if (p.IsImplicitlyDeclared || p.Name == "EqualityContract") continue;
                    var syntax = p.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<PropertyDeclarationSyntax>().FirstOrDefault();
                    var key = ParseKey(p, syntax, own, ctx.SemanticModel.Compilation, diagnostics, ct);
                    if (key is null) continue;
                    if (byKey.TryGetValue(key.Key, out var other))
                    {
                        if (own) diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DuplicateKey, p.Locations[0], other, p.Name, key.Key));
                        continue;
                    }
                    byKey[key.Key] = p.Name;
                    keys.Add(key);
                }
            }

            var rules = new List<string>();
            foreach (var declaring in chain)
                foreach (var attr in declaring.GetAttributes().Where(a => a.AttributeClass?.ToDisplayString() == ConfigRuleAttribute))
                {
                    if (attr.ConstructorArguments.FirstOrDefault().Value is not string method) continue;
                    var own = SymbolEqualityComparer.Default.Equals(declaring, type);
                    var ok = declaring.GetMembers(method).OfType<IMethodSymbol>().Any(m =>
                        !m.IsStatic && m.Parameters.Length == 0 && m.ReturnType.SpecialType == SpecialType.System_String &&
                        // The records deriving from an abstract one run its rules, so those may not be private.
                        ((own && !type.IsAbstract) || m.DeclaredAccessibility != Accessibility.Private));
                    if (ok) rules.Add(method);
                    else if (own)
                        diagnostics.Add(DiagnosticInfo.Create(Diagnostics.BadRule,
                            attr.ApplicationSyntaxReference?.GetSyntax(ct).GetLocation() ?? at, method, type.Name));
                }

            var usable = !diagnostics.Any(d => d.Id == Diagnostics.NotPartial.Id || d.Id == Diagnostics.BadSpecShape.Id);
            var ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
            return new ParseResult<ConfigSpec>(
                usable ? new ConfigSpec(ns, type.Name, type.IsAbstract, keys.ToEquatable(), rules.ToEquatable()) : null,
                diagnostics.ToEquatable());
        }

        private static string? ShapeProblem(INamedTypeSymbol type)
        {
            if (!type.IsRecord || type.TypeKind != TypeKind.Class) return "it must be a record class (keys are set with `with` expressions)";
            if (type.ContainingType is not null) return "it must not be nested in another type";
            if (type.IsGenericType) return "it must not be generic";
            if (!type.IsAbstract && !type.InstanceConstructors.Any(c => c.Parameters.Length == 0 &&
                    c.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal))
                return "it needs a public parameterless constructor (the defaults)";
            return null;
        }

        /// <summary>One property as a key, or null when it is not a key; diagnostics only for the spec's own properties.</summary>
        private static KeySpec? ParseKey(IPropertySymbol p, PropertyDeclarationSyntax? syntax, bool own, Compilation compilation,
            List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var attrs = p.GetAttributes();
            var description = attrs.FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == DescriptionAttribute)?
                .ConstructorArguments.FirstOrDefault().Value as string ?? (syntax is null ? null : Syntax.DocSummary(syntax));
            if (description is null)
            {
                if (own) diagnostics.Add(DiagnosticInfo.Create(Diagnostics.Undocumented, p.Locations[0], p.Name, Diagnostics.KeyFix));
                return null;
            }
            var kind = Kind(p.Type);
            if (kind is null)
            {
                if (own) diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedType, syntax?.Type.GetLocation() ?? p.Locations[0], p.Name, p.Type.ToDisplayString()));
                return null;
            }

            var rangeAttr = attrs.FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == RangeAttribute);
            var allowedAttr = attrs.FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == AllowedValuesAttribute);
            var required = attrs.Any(a => a.AttributeClass?.ToDisplayString() == RequiredAttribute);
            var numeric = kind is "int" or "long" or "double" or "int[]";
            Location AttrLocation(AttributeData a) => a.ApplicationSyntaxReference?.GetSyntax(ct).GetLocation() ?? p.Locations[0];
            if (own && rangeAttr is not null && !numeric)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.MisappliedConstraint, AttrLocation(rangeAttr), "Range", p.Name, Display(kind)));
            if (own && allowedAttr is not null && kind is not ("string" or "int" or "long"))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.MisappliedConstraint, AttrLocation(allowedAttr), "AllowedValues", p.Name, Display(kind)));
            if (own && required && kind is not ("string" or "int[]"))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.MisappliedConstraint, AttrLocation(attrs.First(a => a.AttributeClass?.ToDisplayString() == RequiredAttribute)),
                    "Required", p.Name, Display(kind)));

            string? min = null, max = null;
            if (numeric && rangeAttr is { ConstructorArguments.Length: 2 } r &&
                Syntax.Number(r.ConstructorArguments[0].Value) is { } lo && Syntax.Number(r.ConstructorArguments[1].Value) is { } hi)
            {
                min = Syntax.Format(r.ConstructorArguments[0].Value);
                max = Syntax.Format(r.ConstructorArguments[1].Value);
                if (own && syntax?.Initializer is { } init)
                {
                    var (text, numbers) = Default(init.Value, compilation.GetSemanticModel(init.SyntaxTree), ct);
                    if (numbers.Any(v => v < lo || v > hi))
                        diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DefaultOutOfRange, init.Value.GetLocation(), p.Name, text, min, max));
                }
            }
            var allowed = allowedAttr is { ConstructorArguments.Length: 1 } av && !av.ConstructorArguments[0].IsNull
                ? av.ConstructorArguments[0].Values.Select(v => Syntax.Format(v.Value)).ToList()
                : new List<string>();
            if (own && allowed.Count > 0 && syntax?.Initializer is { } init2)
            {
                var (text, _) = Default(init2.Value, compilation.GetSemanticModel(init2.SyntaxTree), ct);
                if (!allowed.Contains(text))
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DefaultNotAllowed, init2.Value.GetLocation(), p.Name, text));
            }

            var family = kind == "part" && p.Type is INamedTypeSymbol { TypeArguments.Length: 1 } part &&
                         PartFamilies.TryGetValue(part.TypeArguments[0].ToDisplayString(), out var f) ? f : null;
            if (kind == "part" && family is null)
            {
                if (own) diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedType, syntax?.Type.GetLocation() ?? p.Locations[0], p.Name, p.Type.ToDisplayString()));
                return null;
            }
            var inlineAttr = attrs.FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == InlineKeysAttribute);
            var inline = inlineAttr is not null;
            if (own && inline && kind != "part")
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.MisappliedConstraint, AttrLocation(inlineAttr!), "InlineKeys", p.Name, Display(kind)));
            var enumMembers = kind == "enum"
                ? p.Type.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue)
                    .GroupBy(f => f.ConstantValue).Select(g => g.First().Name).ToEquatable() // aliases: the first name
                : default;
            var enumType = kind == "enum" ? p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) : null;
            return new KeySpec(Syntax.KebabCase(p.Name), p.Name, kind, enumType, enumMembers, description, min, max, allowed.ToEquatable(), required,
                family, inline && kind == "part");
        }

        private static string Display(string kind) => kind switch
        {
            "double" => "number", "string" => "text", "int[]" => "int list", "enum" => "choice", "part" => "part", _ => kind,
        };

        private static string? Kind(ITypeSymbol t) => t.TypeKind == TypeKind.Enum ? "enum"
            : t is INamedTypeSymbol { IsGenericType: true } g && g.OriginalDefinition.ToDisplayString() == PartType ? "part"
            : t.SpecialType switch
        {
            SpecialType.System_Int32 => "int",
            SpecialType.System_Int64 => "long",
            SpecialType.System_Double => "double",
            SpecialType.System_Boolean => "bool",
            SpecialType.System_String => "string",
            _ => t is IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_Int32, Rank: 1 } ? "int[]" : null,
        };

        /// <summary>An initializer's value as text, and its numbers (for the range check).</summary>
        private static (string Text, double[] Numbers) Default(ExpressionSyntax value, SemanticModel model, CancellationToken ct)
        {
            if (value is CollectionExpressionSyntax coll)
            {
                var items = coll.Elements.OfType<ExpressionElementSyntax>().Select(e => model.GetConstantValue(e.Expression, ct)).ToList();
                return (string.Join(",", items.Select(c => c.HasValue ? Syntax.Format(c.Value) : "?")),
                        items.Where(c => c.HasValue).Select(c => Syntax.Number(c.Value) ?? 0).ToArray());
            }
            var constant = model.GetConstantValue(value, ct);
            if (constant.HasValue)
                return (Syntax.Format(constant.Value), Syntax.Number(constant.Value) is { } n ? new[] { n } : new double[0]);
            return (value.ToString(), new double[0]);
        }
    }
}
