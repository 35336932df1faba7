using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Data.Tabular;
using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Torch;

namespace Zoo.Plugins.Vfae.Vfae;

/// <summary>vfae (or its plain-VAE baseline): semi-supervised, with an MMD penalty between the s groups.</summary>
public enum VfaeVariant { Vfae, Vae }

/// <summary>
/// The VFAE's own keys and parts: the likelihoods of binary and continuous features, the prior of z2, the encoder
/// plugin behind q(z1|x,s), q(z2|z1,y) and p(z1|z2,y), the decoder of p(x|z1,s), the classifier q(y|z1), the
/// objective's weights and what the rows are (s pixels of images, labels kept). Data and training are the run's.
/// </summary>
[ZooConfig]
public sealed partial record VfaeConfig
{
    [Description("likelihood of the binary features (one-hot nominal columns, image pixels)")]
    public Part<ILikelihoodPlugin> Likelihood { get; init; } = "bernoulli";

    [Description("likelihood of the continuous features (standardised numeric columns)")]
    public Part<ILikelihoodPlugin> ContinuousLikelihood { get; init; } = "gaussian";

    [Description("prior plugin for p(z2) (p(z1) in the vae variant)")]
    public Part<IPriorPlugin> Prior { get; init; } = "standard-normal";

    [Description("encoder plugin for q(z1|x,s), q(z2|z1,y) and p(z1|z2,y)")]
    public Part<IEncoderPlugin> Encoder { get; init; } = "gaussian-mlp";

    [Description("decoder plugin for p(x|z1,s)")]
    public Part<IDecoderPlugin> Decoder { get; init; } = "mlp";

    [Description("hidden layer sizes of the classifier q(y|z1)")]
    [Range(1, 65536)]
    [Required]
    public int[] ClassifierHidden { get; init; } = [100];

    [Description("activation of the classifier's hidden layers: relu, leaky_relu[:slope], elu[:alpha], softplus, tanh, sigmoid")]
    [Required]
    public string ClassifierActivation { get; init; } = "softplus";

    [Description("images: s is the last N pixels of each image (seed 000 uses 10, 100 and 350)")]
    [Range(1, 1_000_000)]
    public int SensitivePixels { get; init; } = 100;

    [Description("training rows that keep their label, spread over the classes (0 = all; the rest are unlabelled)")]
    [Range(0, 10_000_000)]
    public int Labels { get; init; }

    [Description("semi-supervised: labelled rows are repeated until they make up this share of each epoch (0 = no repeats)")]
    [Range(0.0, 0.9)]
    public double LabelledShare { get; init; } = 0.1;

    [Description("vfae, or vae: the plain VAE baseline (q(z1|x), p(x|z1), no s, y or MMD)")]
    public VfaeVariant Variant { get; init; } = VfaeVariant.Vfae;

    [Description("dimensions of z1, the fair representation")]
    [Range(1, 4096)]
    public int Latent { get; init; } = 20;

    [Description("dimensions of z2")]
    [Range(1, 4096)]
    public int Latent2 { get; init; } = 20;

    [Description("alpha: weight of the classification term log q(y|z1) on labelled rows")]
    [Range(0.0, 1e6)]
    public double Alpha { get; init; } = 100;

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

    public bool Fair => Variant == VfaeVariant.Vfae;

    /// <summary>Whether the objective has an MMD term (it needs s groups).</summary>
    public bool UsesMmd => Fair && Mmd != MmdEstimator.None && MmdWeight > 0;
}

[ZooPlugin("vfae", Description = "Variational Fair Autoencoder (Louizos et al. 2016): semi-supervised, MMD between sensitive groups; tables, or images with pixels as s")]
public sealed partial class VfaePlugin : ModelPlugin<VfaeConfig>
{
    /// <summary>Seed 000's table set-up: German credit, 100-unit networks, 200 epochs.</summary>
    public override IReadOnlyList<KeyValuePair<string, string>> RunDefaults =>
        ConfigText.ParseAssignments(["dataset=credit-g", "epochs=200", "encoder.hidden=100", "decoder.hidden=100"]);

    // Seed 000 redraws binary pixels every epoch, as M2 does.
    protected override Binarization AutoBinarization(VfaeConfig config) => Binarization.Stochastic;

    /// <summary>
    /// Packed rows: a table's with <see cref="VfaeConfig.Labels"/> labels kept, or images' with the last
    /// <see cref="VfaeConfig.SensitivePixels"/> pixels as s; labelled rows repeated to <see cref="VfaeConfig.LabelledShare"/>.
    /// </summary>
    /// <summary>Its rows are packed with s, y and a labelled flag, and nothing selects on held-out ones yet: validation=auto is none.</summary>
    public override bool SelectsOnValidation => false;

    protected override TrainingData Prepare(VfaeConfig cfg, TrainingData data, int seed)
    {
        if (data.Validation is not null)
            throw new ConfigException($"{Name}: the vfae does not select on a validation split (its rows are packed with s and y); set dataset.validation=0");
        if (data.Tabular is { } table)
            return TrainingData.FromRows(data.Train.Name.Replace("-train", ""), table.WithLabels(cfg.Labels), Binarization.None, cfg.LabelledShare);
        // MMD compares the s groups' representations; an image's s is pixels, which form no groups.
        if (cfg.UsesMmd)
            throw new ConfigException($"vfae config: mmd = {cfg.Mmd.ToString().ToLowerInvariant()} needs s groups, but an image's s is its last {cfg.SensitivePixels} pixels; set mmd=none");
        var rows = TabularData.FromImages(data.Train, data.TestSet, new ImageRowOptions(cfg.SensitivePixels, seed, cfg.Labels));
        return TrainingData.FromRows(data.Train.Name.Replace("-train", ""), rows, data.Binarization, cfg.LabelledShare);
    }

    protected override IVaeModel Create(VfaeConfig cfg, DataShape data, torch.Generator generator)
    {
        var layout = data.Table ?? throw new InvalidDataException("vfae: the data was not prepared as packed rows");
        var prior = cfg.Prior.Create();
        // Such a prior reads a composed model's encoder; the VFAE has two encoders and attaches none.
        if (prior is ILearnedPrior)
            throw new ConfigException($"vfae: prior '{cfg.Prior.Name}' learns from the model's encoder, which only a composed model (vae) attaches; use standard-normal");
        var binary = cfg.Likelihood.Create();
        var continuous = cfg.ContinuousLikelihood.Create();

        bool fair = cfg.Fair;
        int s = fair ? layout.SensitiveWidth : 0, k = layout.Classes;
        // Networks in a fixed order: the generator's draws initialise them in it (the README's figures depend on it).
        var z1Encoder = cfg.Encoder.Create(layout.Features + s, cfg.Latent, generator);
        var z2Encoder = cfg.Encoder.Create(cfg.Latent + k, cfg.Latent2, generator);
        var z1Decoder = cfg.Encoder.Create(cfg.Latent2 + k, cfg.Latent, generator);
        var classifier = torch.nn.MLP([cfg.Latent, .. cfg.ClassifierHidden.Select(h => (long)h), k], Zoo.Torch.Activation.Parse(cfg.ClassifierActivation), generator: generator);
        var xDecoder = cfg.Decoder.Create(cfg.Latent + s, binary.OutputsPerDimension * layout.BinaryFeatures + continuous.OutputsPerDimension * layout.ContinuousFeatures, generator);
        return new VfaeModel(layout, new VfaeOptions(fair, cfg.Alpha, cfg.MmdWeight, cfg.Mmd, cfg.Bandwidth, cfg.RffFeatures), cfg.Latent, cfg.Latent2,
            z1Encoder, z2Encoder, z1Decoder, classifier, xDecoder, binary, continuous, prior);
    }
}
