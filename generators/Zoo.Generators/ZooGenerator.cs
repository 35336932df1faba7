using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Zoo.Generators
{
    /// <summary>
    /// Completes annotated specs. For each [ZooConfig] record: its schema (key table, binding from text, IConfiguration
    /// and JSON, validation, JSON out) with no reflection. For each [ZooPlugin] class: its Name and Description, and
    /// one registration per assembly with the assembly marker the host reads. Parse (into equatable records) and emit
    /// are separate, named steps; diagnostics are their own output.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class ZooGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking names, for tests that check the pipeline caches.</summary>
        public static class Steps
        {
            public const string ParseConfigs = "ParseConfigs";
            public const string Configs = "Configs";
            public const string ParsePlugins = "ParsePlugins";
            public const string Plugins = "Plugins";
            public const string Registration = "Registration";
            public const string Diagnostics = "Diagnostics";
        }

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var parsedConfigs = context.SyntaxProvider.ForAttributeWithMetadataName(ConfigParser.ZooConfigAttribute,
                    static (node, _) => node is TypeDeclarationSyntax,
                    static (ctx, ct) => ConfigParser.Parse(ctx, ct))
                .WithTrackingName(Steps.ParseConfigs);
            var configs = parsedConfigs.Where(static r => r.Spec is { IsAbstract: false }).Select(static (r, _) => r.Spec!)
                .WithTrackingName(Steps.Configs);
            context.RegisterSourceOutput(configs, static (spc, spec) => spc.AddSource($"{spec.FullName}.Config.g.cs", ConfigEmitter.Emit(spec)));

            var parsedPlugins = context.SyntaxProvider.ForAttributeWithMetadataName(PluginParser.ZooPluginAttribute,
                    static (node, _) => node is ClassDeclarationSyntax,
                    static (ctx, ct) => PluginParser.Parse(ctx, ct))
                .WithTrackingName(Steps.ParsePlugins);
            var plugins = parsedPlugins.Where(static r => r.Spec is not null).Select(static (r, _) => r.Spec!)
                .WithTrackingName(Steps.Plugins);
            context.RegisterSourceOutput(plugins, static (spc, spec) => spc.AddSource($"{spec.FullName}.Plugin.g.cs", PluginEmitter.EmitPlugin(spec)));

            // One registration per assembly, over every plugin in it; duplicate names are found here.
            var assemblyName = context.CompilationProvider.Select(static (c, _) => c.AssemblyName ?? "Plugins");
            var registration = plugins.Where(static p => p.Registered).Collect().Select(static (all, _) => all.ToEquatable()).Combine(assemblyName)
                .WithTrackingName(Steps.Registration);
            context.RegisterSourceOutput(registration, static (spc, pair) =>
            {
                var (all, assembly) = pair;
                if (all.Count == 0) return;
                var kept = new List<PluginSpec>();
                foreach (var p in all.OrderBy(p => p.NameLocation.FilePath).ThenBy(p => p.NameLocation.Span.Start))
                {
                    var first = kept.FirstOrDefault(k => k.Kind == p.Kind && k.Name == p.Name);
                    if (first is null) { kept.Add(p); continue; }
                    spc.ReportDiagnostic(Diagnostic.Create(Zoo.Generators.Diagnostics.DuplicateName, p.NameLocation.ToLocation(),
                        first.TypeName, p.TypeName, p.Kind.ToLowerInvariant(), p.Name));
                }
                spc.AddSource("ZooPluginRegistration.g.cs", PluginEmitter.EmitRegistration(assembly, kept));
            });

            var configDiagnostics = parsedConfigs.SelectMany(static (r, _) => r.Diagnostics.Items).WithTrackingName(Steps.Diagnostics);
            context.RegisterSourceOutput(configDiagnostics, static (spc, d) => spc.ReportDiagnostic(d.ToDiagnostic()));
            var pluginDiagnostics = parsedPlugins.SelectMany(static (r, _) => r.Diagnostics.Items).WithTrackingName(Steps.Diagnostics);
            context.RegisterSourceOutput(pluginDiagnostics, static (spc, d) => spc.ReportDiagnostic(d.ToDiagnostic()));
        }
    }
}
