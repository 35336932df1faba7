using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Torch;

namespace Zoo.Plugins.Vfae.Vfae;

/// <summary>vfae (or its plain-VAE baseline): semi-supervised, with an MMD penalty between the s groups.</summary>
public enum VfaeVariant { Vfae, Vae }

/// <summary>The VFAE's config: the table and its columns, the networks, the objective's weights, training.</summary>
[ZooConfig]
[ConfigRule(nameof(CheckActivation))]
[ConfigRule(nameof(CheckMmd))]
public sealed partial record VfaeConfig : ITabularConfig
{
    [Description("data: credit-g (German credit, Debian weka package), a path to an .arff or .csv file, or images: mnist or fashion-mnist (s = the last sensitive-pixels pixels)")]
    [Required]
    public string Dataset { get; init; } = "credit-g";

    [Description("images: s is the last N pixels of each image (seed 000 uses 10, 100 and 350)")]
    [Range(1, 1_000_000)]
    public int SensitivePixels { get; init; } = 100;

    [Description("images: how [0,1] pixels become binary: stochastic (redrawn every epoch), threshold (> 0.5) or none")]
    public Binarization Binarize { get; init; } = Binarization.Stochastic;

    [Description("images: use only the first N training images (0 = all)")]
    [Range(0, 1_000_000)]
    public int TrainLimit { get; init; }

    [Description("images: use only the first N test images (0 = all)")]
    [Range(0, 1_000_000)]
    public int TestLimit { get; init; }

    [Description("table: label column y (nominal)")]
    [Required]
    public string Target { get; init; } = "class";

    [Description("table: sensitive column s: nominal, or numeric binarised as value > sensitive-threshold")]
    [Required]
    public string Sensitive { get; init; } = "age";

    [Description("table: a numeric sensitive column's threshold (German credit: age > 25)")]
    public double SensitiveThreshold { get; init; } = 25;

    [Description("table: fraction of rows held out as the test split (seeded shuffle; image sets keep their own test split)")]
    [Range(0.05, 0.95)]
    public double TestFraction { get; init; } = 0.3;

    [Description("training rows that keep their label, spread over the classes (0 = all; the rest are unlabelled)")]
    [Range(0, 10_000_000)]
    public int Labels { get; init; }

    [Description("semi-supervised: labelled rows are repeated until they make up this share of each epoch (0 = no repeats)")]
    [Range(0.0, 0.9)]
    public double LabelledShare { get; init; } = 0.1;

    [Description("vfae, or vae: the plain VAE baseline (q(z1|x), p(x|z1), no s, y or MMD)")]
    public VfaeVariant Variant { get; init; } = VfaeVariant.Vfae;

    [Description("encoder plugin for q(z1|x,s), q(z2|z1,y) and p(z1|z2,y)")]
    [Required]
    public string Encoder { get; init; } = "gaussian-mlp";

    [Description("prior plugin for p(z2) (p(z1) in the vae variant)")]
    [Required]
    public string Prior { get; init; } = "standard-normal";

    [Description("hidden layer sizes of every network")]
    [Range(1, 65536)]
    [Required]
    public int[] Hidden { get; init; } = [100];

    [Description("activation of the hidden layers: relu, leaky_relu[:slope], elu[:alpha], softplus, tanh, sigmoid")]
    [Required]
    public string Activation { get; init; } = "softplus";

    [Description("dimensions of z1, the fair representation")]
    [Range(1, 4096)]
    public int Latent { get; init; } = 20;

    [Description("dimensions of z2")]
    [Range(1, 4096)]
    public int Latent2 { get; init; } = 20;

    [Description("alpha: weight of the classification term log q(y|z1) on labelled rows")]
    [Range(0.0, 1e6)]
    public double Alpha { get; init; } = 20;

    [Description("MMD between the s groups' posterior means of z1 (what the probes see): exact (Gaussian kernel), rff (random Fourier features) or none")]
    public MmdEstimator Mmd { get; init; } = MmdEstimator.Exact;

    [Description("beta: weight of the MMD penalty")]
    [Range(0.0, 1e9)]
    public double MmdWeight { get; init; } = 1000;

    [Description("Gaussian kernel bandwidth sigma: k(a,b) = exp(-|a-b|^2 / (2 sigma^2))")]
    [Range(1e-6, 1e6)]
    public double Bandwidth { get; init; } = 1;

    [Description("random Fourier features D for mmd=rff")]
    [Range(1, 100000)]
    public int RffFeatures { get; init; } = 500;

    [Description("floor of the Gaussian likelihood's variance on continuous features")]
    [Range(1e-8, 1.0)]
    public double MinVariance { get; init; } = 1e-3;

    [Description("training epochs")]
    [Range(1, 100000)]
    public int Epochs { get; init; } = 200;

    [Description("minibatch size")]
    [Range(2, 1_000_000)]
    public int BatchSize { get; init; } = 100;

    [Description("Adam learning rate")]
    [Range(1e-7, 1.0)]
    public double LearningRate { get; init; } = 1e-3;

    [Description("clip the gradients' global norm to this value (0 = off)")]
    [Range(0.0, 1e6)]
    public double ClipGradNorm { get; init; }

    [Description("random seed (split, initialisation, shuffling, sampling)")]
    [Range(0, int.MaxValue)]
    public int Seed { get; init; }

    public Binarization Binarization => Binarize;

    private string? CheckActivation() => ConfigRules.Activation("activation", Activation);

    // MMD compares the s groups' representations; an image's s is pixels, which form no groups.
    private string? CheckMmd() => DataSources.IsImageSet(Dataset) && Variant == VfaeVariant.Vfae && Mmd != MmdEstimator.None && MmdWeight > 0
        ? $"mmd: {Mmd.ToString().ToLowerInvariant()} needs s groups, but {Dataset}'s s is its last {SensitivePixels} pixels; set mmd=none"
        : null;
}

[ZooPlugin("vfae", Description = "Variational Fair Autoencoder (Louizos et al. 2016): semi-supervised, MMD between sensitive groups; tables, or images with pixels as s")]
public sealed partial class VfaePlugin(IServiceProvider services) : ModelPlugin<VfaeConfig>
{
    protected override IVaeModel Create(VfaeConfig cfg, DataShape data, torch.Generator generator)
    {
        var layout = data.Table ?? throw new InvalidDataException($"vfae: {cfg.Dataset} was not loaded as packed rows");
        var catalog = services.GetRequiredService<PluginCatalog>();
        var encoders = catalog.EncoderFactory(cfg.Encoder, cfg.Hidden, cfg.Activation, "vfae");
        var prior = catalog.CreatePrior(cfg.Prior, [], "vfae");
        var binary = catalog.CreateLikelihood("bernoulli", [], "vfae");
        var continuous = catalog.CreateLikelihood("gaussian", [new("min-variance", cfg.MinVariance.ToString("R", CultureInfo.InvariantCulture))], "vfae");

        bool fair = cfg.Variant == VfaeVariant.Vfae;
        int s = fair ? layout.SensitiveWidth : 0, k = layout.Classes;
        var activation = Zoo.Torch.Activation.Parse(cfg.Activation);
        long[] hidden = [.. cfg.Hidden.Select(h => (long)h)];
        var z1Encoder = encoders(layout.Features + s, cfg.Latent, generator);
        var z2Encoder = encoders(cfg.Latent + k, cfg.Latent2, generator);
        var z1Decoder = encoders(cfg.Latent2 + k, cfg.Latent, generator);
        var classifier = torch.nn.MLP([cfg.Latent, .. hidden, k], activation, generator: generator);
        var xDecoder = torch.nn.MLP([cfg.Latent + s, .. hidden, layout.BinaryFeatures + 2L * layout.ContinuousFeatures], activation, generator: generator);
        return new VfaeModel(layout, new VfaeOptions(fair, cfg.Alpha, cfg.MmdWeight, cfg.Mmd, cfg.Bandwidth, cfg.RffFeatures), cfg.Latent, cfg.Latent2,
            z1Encoder, z2Encoder, z1Decoder, classifier, xDecoder, binary, continuous, prior);
    }
}
