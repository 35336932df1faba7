using System;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace Zoo.Generators
{
    /// <summary>Small text helpers the parsers share.</summary>
    internal static class Syntax
    {
        /// <summary>LatentDim → latent-dim: Zoo.Core's rule, from its linked source.</summary>
        public static string KebabCase(string name) => Zoo.Core.Configuration.ConfigNames.KebabCase(name);

        /// <summary>
        /// The text of a /// &lt;summary&gt; above <paramref name="node"/>, tags reduced to their text, on one line
        /// (read from trivia, so it works whatever the project's documentation mode).
        /// </summary>
        public static string? DocSummary(SyntaxNode node)
        {
            var lines = node.GetLeadingTrivia().ToFullString().Split('\n')
                .Select(l => l.Trim()).Where(l => l.StartsWith("///")).Select(l => l.Substring(3).Trim());
            var text = string.Join(" ", lines);
            int start = text.IndexOf("<summary>", StringComparison.Ordinal), end = text.IndexOf("</summary>", StringComparison.Ordinal);
            if (start < 0 || end < start) return null;
            var s = text.Substring(start + 9, end - start - 9);
            s = Regex.Replace(s, "<see(?:also)?\\s+(?:cref|langword|href)=\"(?:[A-Z]:)?([^\"]+)\"\\s*/>", "$1");
            s = Regex.Replace(s, "<paramref\\s+name=\"([^\"]+)\"\\s*/>", "$1");
            s = Regex.Replace(s, "<[^>]+>", "");
            s = s.Replace("&lt;", "<").Replace("&gt;", ">").Replace("&amp;", "&");
            s = Regex.Replace(s, "\\s+", " ").Trim();
            return s.Length == 0 ? null : s;
        }

        public static string Format(object? v) => v switch
        {
            null => "",
            bool b => b ? "true" : "false",
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            float f => ((double)f).ToString("R", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        };

        public static double? Number(object? v) => v switch
        {
            int i => i, long l => l, double d => d, float f => f, _ => null,
        };

        public static string Literal(string s) => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(s, quote: true);

        /// <summary>A double in C# source: 1E-07 → 1E-07d, 4096 → 4096d.</summary>
        public static string DoubleLiteral(string text) => text + "d";
    }
}
