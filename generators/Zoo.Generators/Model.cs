using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Zoo.Generators
{
    /// <summary>One hyperparameter as parsed: no symbols or syntax, only values (so the pipeline caches).</summary>
    internal sealed record KeySpec(
        string Key, string Property, string TypeName, string Default, string Description, string? Range, EquatableArray<string> Allowed);

    /// <summary>An annotated config type as parsed.</summary>
    internal sealed record ConfigSpec(string? Namespace, string TypeName, string Keyword, EquatableArray<KeySpec> Keys)
    {
        public string FullName => Namespace is null ? TypeName : Namespace + "." + TypeName;
    }

    /// <summary>A diagnostic as values: its descriptor id, where, and its message arguments.</summary>
    internal sealed record DiagnosticInfo(string Id, string FilePath, TextSpan Span, LinePositionSpan Lines, EquatableArray<string> Arguments)
    {
        public static DiagnosticInfo Create(DiagnosticDescriptor d, Location location, params string[] args)
        {
            var line = location.GetLineSpan();
            return new DiagnosticInfo(d.Id, line.Path ?? "", location.SourceSpan, line.Span, args.ToEquatable());
        }

        public Diagnostic ToDiagnostic() => Diagnostic.Create(Diagnostics.ById(Id),
            Location.Create(FilePath, Span, Lines), Arguments.Items.ToArray<object>());
    }

    /// <summary>What parsing one annotated type produced: the spec (when usable) and its diagnostics.</summary>
    internal sealed record ParseResult(ConfigSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);

    internal static class ArrayExtensions
    {
        public static TOut[] ToArray<TOut>(this System.Collections.Immutable.ImmutableArray<string> items)
        {
            var r = new TOut[items.Length];
            for (int i = 0; i < r.Length; i++) r[i] = (TOut)(object)items[i];
            return r;
        }
    }
}
