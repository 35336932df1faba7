using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Zoo.Generators
{
    /// <summary>
    /// For every type marked [ZooConfig] (Zoo.Core.Configuration), generates its key table from the annotated
    /// properties: key, type, default, range or allowed values, description. Parse (into equatable records) and
    /// emit are separate steps with tracking names; diagnostics are a separate output.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class ConfigGenerator : IIncrementalGenerator
    {
        public const string AttributeName = "Zoo.Core.Configuration.ZooConfigAttribute";

        public static class Steps
        {
            public const string Parse = "Parse";
            public const string Specs = "Specs";
            public const string Diagnostics = "Diagnostics";
        }

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var parsed = context.SyntaxProvider.ForAttributeWithMetadataName(AttributeName,
                    static (node, _) => node is TypeDeclarationSyntax,
                    static (ctx, ct) => ConfigParser.Parse(ctx, ct))
                .WithTrackingName(Steps.Parse);

            var specs = parsed.Where(static r => r.Spec is not null).Select(static (r, _) => r.Spec!).WithTrackingName(Steps.Specs);
            context.RegisterSourceOutput(specs, static (spc, spec) => spc.AddSource($"{spec.FullName}.Config.g.cs", ConfigEmitter.Emit(spec)));

            var diagnostics = parsed.SelectMany(static (r, _) => r.Diagnostics.Items).WithTrackingName(Steps.Diagnostics);
            context.RegisterSourceOutput(diagnostics, static (spc, d) => spc.ReportDiagnostic(d.ToDiagnostic()));
        }
    }
}
