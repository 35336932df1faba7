using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Zoo.Generators
{
    /// <summary>Turns one [ZooConfig] type into a <see cref="ConfigSpec"/> and its diagnostics (parse only; no output).</summary>
    internal static class ConfigParser
    {
        private const string DescriptionAttribute = "System.ComponentModel.DescriptionAttribute";
        private const string RangeAttribute = "System.ComponentModel.DataAnnotations.RangeAttribute";
        private const string AllowedValuesAttribute = "System.ComponentModel.DataAnnotations.AllowedValuesAttribute";

        public static ParseResult Parse(GeneratorAttributeSyntaxContext ctx, CancellationToken ct)
        {
            var type = (INamedTypeSymbol)ctx.TargetSymbol;
            var node = (TypeDeclarationSyntax)ctx.TargetNode;
            var diagnostics = new List<DiagnosticInfo>();
            if (!node.Modifiers.Any(SyntaxKind.PartialKeyword))
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NotPartial, node.Identifier.GetLocation(), type.Name));

            var keys = new List<KeySpec>();
            var byKey = new Dictionary<string, string>();
            foreach (var member in node.Members.OfType<PropertyDeclarationSyntax>())
            {
                ct.ThrowIfCancellationRequested();
                if (ctx.SemanticModel.GetDeclaredSymbol(member, ct) is not IPropertySymbol p) continue;
                if (p.IsStatic || p.DeclaredAccessibility != Accessibility.Public || p.SetMethod is null) continue;
                var attrs = p.GetAttributes();
                var description = attrs.FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == DescriptionAttribute);
                if (description is null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.Undocumented, member.Identifier.GetLocation(), p.Name));
                    continue;
                }
                var typeName = TypeName(p.Type);
                if (typeName is null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedType, member.Type.GetLocation(), p.Name, p.Type.ToDisplayString()));
                    continue;
                }
                var key = KebabCase(p.Name);
                if (byKey.TryGetValue(key, out var other))
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DuplicateKey, member.Identifier.GetLocation(), other, p.Name, key));
                    continue;
                }
                byKey[key] = p.Name;

                var (defaultText, defaultNumber) = Default(member, p.Type, ctx.SemanticModel, ct);
                string? range = null;
                var rangeAttr = attrs.FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == RangeAttribute);
                if (rangeAttr is { ConstructorArguments.Length: 2 } r && Number(r.ConstructorArguments[0].Value) is { } lo && Number(r.ConstructorArguments[1].Value) is { } hi)
                {
                    range = $"[{Format(r.ConstructorArguments[0].Value)}, {Format(r.ConstructorArguments[1].Value)}]";
                    foreach (var v in defaultNumber)
                        if (v < lo || v > hi)
                        {
                            var at = member.Initializer?.Value.GetLocation() ?? member.Identifier.GetLocation();
                            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.DefaultOutOfRange, at, p.Name, defaultText,
                                Format(r.ConstructorArguments[0].Value), Format(r.ConstructorArguments[1].Value)));
                            break;
                        }
                }
                IEnumerable<string> allowed = p.Type.TypeKind == TypeKind.Enum
                    ? p.Type.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue).Select(f => KebabCase(f.Name))
                    : attrs.FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == AllowedValuesAttribute) is { ConstructorArguments.Length: 1 } av
                        ? av.ConstructorArguments[0].Values.Select(v => Format(v.Value))
                        : Enumerable.Empty<string>();
                keys.Add(new KeySpec(key, p.Name, typeName, defaultText, description.ConstructorArguments.FirstOrDefault().Value as string ?? "",
                    range, allowed.ToEquatable()));
            }

            var ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
            var keyword = node is RecordDeclarationSyntax rec ? (rec.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) ? "record struct" : "record")
                : node is StructDeclarationSyntax ? "struct" : "class";
            var usable = !diagnostics.Any(d => d.Id == Diagnostics.NotPartial.Id);
            return new ParseResult(usable ? new ConfigSpec(ns, type.Name, keyword, keys.ToEquatable()) : null, diagnostics.ToEquatable());
        }

        private static string? TypeName(ITypeSymbol t) => t.TypeKind == TypeKind.Enum ? "choice" : t.SpecialType switch
        {
            SpecialType.System_Int32 => "int",
            SpecialType.System_Int64 => "long",
            SpecialType.System_Double => "number",
            SpecialType.System_Boolean => "bool",
            SpecialType.System_String => "text",
            _ => t is IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_Int32 } ? "int list" : null,
        };

        /// <summary>The default as `zoo list` shows it, and its numeric values (for the range check).</summary>
        private static (string Text, double[] Numbers) Default(PropertyDeclarationSyntax member, ITypeSymbol type, SemanticModel model, CancellationToken ct)
        {
            var value = member.Initializer?.Value;
            if (value is null)
                return type.SpecialType switch
                {
                    SpecialType.System_Boolean => ("false", new double[0]),
                    SpecialType.System_String => ("", new double[0]),
                    _ when TypeName(type) is "int" or "long" or "number" => ("0", new[] { 0.0 }),
                    _ => ("", new double[0]),
                };
            if (value is CollectionExpressionSyntax coll)
            {
                var items = coll.Elements.OfType<ExpressionElementSyntax>().Select(e => model.GetConstantValue(e.Expression, ct)).ToList();
                return (string.Join(",", items.Select(c => c.HasValue ? Format(c.Value) : "?")),
                        items.Where(c => c.HasValue).Select(c => Number(c.Value) ?? 0).ToArray());
            }
            var constant = model.GetConstantValue(value, ct);
            if (constant.HasValue)
            {
                if (type.TypeKind == TypeKind.Enum)
                {
                    var field = type.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue && Equals(f.ConstantValue, constant.Value));
                    return (field is null ? Format(constant.Value) : KebabCase(field.Name), new double[0]);
                }
                return (Format(constant.Value), Number(constant.Value) is { } n ? new[] { n } : new double[0]);
            }
            return (value.ToString(), new double[0]);
        }

        private static double? Number(object? v) => v switch
        {
            int i => i, long l => l, double d => d, float f => f, _ => null,
        };

        private static string Format(object? v) => v switch
        {
            null => "",
            bool b => b ? "true" : "false",
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            float f => ((double)f).ToString("R", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        };

        /// <summary>LatentDim → latent-dim (the same rule as Zoo.Core's ConfigSchema).</summary>
        public static string KebabCase(string name)
        {
            var sb = new StringBuilder();
            for (int i = 0; i < name.Length; i++)
            {
                if (char.IsUpper(name[i]) && i > 0 && !char.IsUpper(name[i - 1])) sb.Append('-');
                sb.Append(char.ToLowerInvariant(name[i]));
            }
            return sb.ToString();
        }
    }
}
