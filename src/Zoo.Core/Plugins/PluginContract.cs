using System.Diagnostics;
using Zoo.Core.Configuration;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Plugins;

/// <summary>
/// What the trainer needs of each plugin family beyond what the compiler checks: called once with its default keys on
/// a small input, a plugin gives tensors of the shapes its contract states, finite values, and (a model) a scalar loss
/// with gradients for its parameters. `zoo plugins install` refuses a plugin that breaks it, so the mistake surfaces
/// at install, naming the plugin and what it gave, instead of as a crash inside `zoo train`. Zoo.Testing runs it too.
/// Data and callback plugins are not called (a data set may need files the user has not given yet).
/// </summary>
public static class PluginContract
{
    private const int Rows = 8, Dimensions = 16, Latent = 3;

    /// <summary>The small input the parts are called with: a 4 × 4 grey picture (16 values), which flat and convolutional networks both read.</summary>
    private static readonly DataShape Picture = new(Dimensions, 4, 4, 10);

    /// <summary>
    /// The first way <paramref name="plugin"/> breaks its family's contract, or null. Parts a model names by default
    /// are resolved in <paramref name="catalog"/>. A plugin whose defaults leave a required key empty is not called.
    /// </summary>
    public static string? Problem(IPlugin plugin, PluginCatalog catalog)
    {
        var what = $"{PluginCatalog.Family(plugin.Kind)} {plugin.Name}";
        if (plugin is not (ILikelihoodPlugin or IPriorPlugin or IEncoderPlugin or IDecoderPlugin or IModelPlugin)) return null;
        if (plugin.Config.Keys.Any(k => k.Default.Length == 0)) return null; // the user's to give (a path)
        object config;
        try { config = plugin.Config.Bind([], what, catalog); }
        catch (ConfigException e) { return $"{what}: its defaults do not bind: {e.Message}"; }
        using var scope = NewDisposeScope();
        using var generator = new Generator(0);
        try
        {
            var problem = plugin switch
            {
                ILikelihoodPlugin p => Likelihood(p.Create(config), p.WantsBinaryData, generator),
                IPriorPlugin p => Prior(p.Create(config), generator),
                IEncoderPlugin p => Encoder(p.Create(config, Picture, Latent, generator), generator),
                IDecoderPlugin p => Decoder(p.Create(config, Latent, Picture, 1, generator), generator),
                IModelPlugin p => Model(p, config, generator),
                _ => null,
            };
            return problem is null ? null : $"{what}: {problem}";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"{what}: {Fault(e)}";
        }
    }

    /// <summary>An exception thrown inside a plugin, in one line: its type, message and the plugin's frame that threw.</summary>
    public static string Fault(Exception e)
    {
        var frame = new StackTrace(e).GetFrames().Select(f => f.GetMethod()).FirstOrDefault(m => m?.DeclaringType is { } t && !IsHost(t.Assembly));
        var at = frame is null ? "" : $" (at {frame.DeclaringType!.FullName}.{frame.Name})";
        return $"{e.GetType().Name}: {e.Message.Split('\n')[0].TrimEnd()}{at}";
    }

    /// <summary>The assembly of a plugin that threw <paramref name="e"/>, or null when the exception rose from the host and the framework alone.</summary>
    public static string? ThrowingPlugin(Exception e) =>
        new StackTrace(e).GetFrames().Select(f => f.GetMethod()?.DeclaringType?.Assembly).FirstOrDefault(a => a is not null && !IsHost(a))?.GetName().Name;

    private static bool IsHost(System.Reflection.Assembly a)
    {
        var name = a.GetName().Name ?? "";
        return name is "Zoo.Core" or "Zoo.Torch" or "Zoo.Hosting" or "zoo" || name.StartsWith("System") || name.StartsWith("Microsoft") || name == "netstandard";
    }

    private static string? Likelihood(ILikelihood likelihood, bool binary, Generator g)
    {
        var k = likelihood.OutputsPerDimension;
        if (k < 1) return $"OutputsPerDimension is {k}; expected at least 1";
        var output = randn([Rows, k * Dimensions], g) * 0.5;
        var x = binary ? bernoulli(full([Rows, Dimensions], 0.5), g) : rand([Rows, Dimensions], g);
        return Shape("LogProb", likelihood.LogProb(output, x), Rows)
            ?? Shape("Mean", likelihood.Mean(output), Rows, Dimensions)
            ?? Shape("Sample", likelihood.Sample(output, g), Rows, Dimensions);
    }

    /// <summary>A prior's shapes; one with learned parameters is first attached to a small encoder, as a composed model would.</summary>
    private static string? Prior(IPrior prior, Generator g)
    {
        if (prior is not ILearnedPrior learned) return PriorShapes(prior, g);
        using var encoder = new ProbeEncoder(g);
        learned.Attach(encoder, Picture, g);
        using var module = learned.Module;
        if (module is null) return "Module is null after Attach; the model trains and saves the prior's parameters through it";
        if (module.parameters().Count == 0) return "its Module has no parameters after Attach; a learned prior trains them";
        if (PriorShapes(prior, g) is { } problem) return problem;
        prior.LogProb(randn([Rows, Latent], g)).sum().backward();
        return module.parameters().All(p => p.grad is null) ? "no gradient reaches its Module's parameters from LogProb" : null;
    }

    private static string? PriorShapes(IPrior prior, Generator g)
    {
        var q = new DiagonalGaussian(randn([Rows, Latent], g), randn([Rows, Latent], g) * 0.1);
        return Shape("LogProb", prior.LogProb(randn([Rows, Latent], g)), Rows)
            ?? Shape($"Sample({Rows}, {Latent})", prior.Sample(Rows, Latent, g), Rows, Latent)
            ?? (prior.AnalyticKl(q) is { } kl ? Shape("AnalyticKl", kl, Rows) : null);
    }

    /// <summary>The encoder a learned prior is attached to for the check: one linear layer from the picture to [μ | log σ²].</summary>
    private sealed class ProbeEncoder(Generator g) : IEncoder, IDisposable
    {
        private readonly Zoo.Torch.Modules.Linear head = new(Dimensions, 2 * Latent, generator: g);
        public nn.Module Module => head;
        public DiagonalGaussian Encode(Tensor x) => DiagonalGaussian.FromHead(head.forward(x));
        public void Dispose() => head.Dispose();
    }

    private static string? Encoder(IEncoder encoder, Generator g)
    {
        if (encoder.Module is null) return "Module is null; the trainer optimises and saves the encoder's network through it";
        var q = encoder.Encode(rand([Rows, Dimensions], g));
        return Shape("Encode(...).Mean", q.Mean, Rows, Latent) ?? Shape("Encode(...).LogVar", q.LogVar, Rows, Latent);
    }

    private static string? Decoder(IDecoder decoder, Generator g)
    {
        if (decoder.Module is null) return "Module is null; the trainer optimises and saves the decoder's network through it";
        return Shape("Decode", decoder.Decode(randn([Rows, Latent], g)), Rows, Dimensions);
    }

    private static string? Model(IModelPlugin plugin, object config, Generator g)
    {
        IVaeModel model;
        // A model that needs its own kind of data (the vfae's packed table) cannot be built on plain images: nothing to check.
        try { model = plugin.Create(config, Picture, g); }
        catch (Exception e) when (e is ConfigException or ArgumentException or InvalidOperationException or InvalidDataException) { return null; }
        using var _ = model;
        if (model.Module is null) return "Module is null; the trainer optimises and saves the model's networks through it";
        var parameters = model.Module.parameters();
        if (parameters.Count == 0) return "its Module has no parameters to train (register the parts' networks with register_module)";
        if (model.LatentDim < 1) return $"LatentDim is {model.LatentDim}; expected at least 1";
        var x = bernoulli(full([Rows, Dimensions], 0.5), g);
        var terms = model.Loss(x, g);
        var problem = Shape("Loss(...).Loss", terms.Loss) ?? Shape("Loss(...).Reconstruction", terms.Reconstruction, Rows)
            ?? Shape("Loss(...).Kl", terms.Kl, Rows) ?? Shape("Loss(...).Elbo", terms.Elbo, Rows);
        if (problem is not null) return problem;
        if (!terms.Loss.requires_grad) return "Loss(...).Loss does not depend on the parameters (no gradient would reach them)";
        terms.Loss.backward();
        if (parameters.All(p => p.grad is null)) return "no parameter received a gradient from Loss(...).Loss";
        using (no_grad())
            return Shape("Encode(...).Mean", model.Encode(x).Mean, Rows, model.LatentDim)
                ?? Shape("Decode", model.Decode(randn([Rows, model.LatentDim], g)), Rows, Dimensions)
                ?? Shape("Sample", model.Sample(Rows, g), Rows, Dimensions);
    }

    /// <summary>Null when <paramref name="t"/> has shape <paramref name="expected"/> and finite values; else what was found.</summary>
    private static string? Shape(string what, Tensor? t, params long[] expected)
    {
        if (t is null) return $"{what} returned null";
        if (!t.shape.SequenceEqual(expected))
            return $"{what} gave shape [{string.Join(", ", t.shape)}] for {Rows} rows; expected [{string.Join(", ", expected)}]";
        using var finite = t.detach().isfinite().to(float32).min();
        return finite.item<float>() == 1 ? null : $"{what} gave non-finite values";
    }
}
