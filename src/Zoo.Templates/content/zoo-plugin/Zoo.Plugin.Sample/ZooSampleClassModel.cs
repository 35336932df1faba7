using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugin.Sample;

/// <summary>
/// A β-VAE (Higgins et al. 2017), written out: the loss is −E_q[log p(x|z)] + β·KL(q(z|x) || N(0, I)), and the
/// reported ELBO is the β = 1 bound. Its likelihood, encoder and decoder are parts, so any plugin of those families
/// fits (zoo train zoo-sample-name encoder.hidden=200 likelihood=gaussian). Change it into yours: Module, Loss,
/// Encode, Decode and Sample are the contract.
/// </summary>
public sealed class ZooSampleClassModel : nn.Module, IVaeModel
{
    private readonly IEncoder encoder;
    private readonly IDecoder decoder;
    private readonly ILikelihood likelihood;
    private readonly double beta;

    public ZooSampleClassModel(IEncoder encoder, IDecoder decoder, ILikelihood likelihood, int latentDim, double beta) : base("ZooSampleClassModel")
    {
        (this.encoder, this.decoder, this.likelihood, this.beta, LatentDim) = (encoder, decoder, likelihood, beta, latentDim);
        // The parts' networks become this module's children: the trainer optimises and checkpoints their parameters.
        register_module("encoder", encoder.Module);
        register_module("decoder", decoder.Module);
    }

    public nn.Module Module => this;
    public int LatentDim { get; }

    public ElboTerms Loss(Tensor x, Generator generator)
    {
        using var scope = NewDisposeScope();
        var q = encoder.Encode(x);
        var z = q.Sample(generator);                           // reparameterised: gradients reach the encoder
        var reconstruction = likelihood.LogProb(decoder.Decode(z), x);
        var kl = q.KlToStandardNormal();
        var elbo = reconstruction - kl;
        var loss = -(reconstruction - kl * beta).mean();
        return new ElboTerms(loss.MoveToOuterDisposeScope(), reconstruction.MoveToOuterDisposeScope(),
                             kl.MoveToOuterDisposeScope(), elbo.MoveToOuterDisposeScope());
    }

    public DiagonalGaussian Encode(Tensor x) => encoder.Encode(x);

    public Tensor Decode(Tensor z)
    {
        using var output = decoder.Decode(z);
        return likelihood.Mean(output);
    }

    public Tensor Sample(long n, Generator generator)
    {
        using var z = randn([n, LatentDim], generator);
        return Decode(z);
    }
}

/// <summary>The model's keys and parts: `zoo train zoo-sample-name beta=2 latent=8 encoder.hidden=200`.</summary>
[ZooConfig]
public sealed partial record ZooSampleClassModelConfig
{
    [Description("likelihood plugin p(x|z)")]
    public Part<ILikelihoodPlugin> Likelihood { get; init; } = "bernoulli";

    [Description("encoder plugin q(z|x)")]
    public Part<IEncoderPlugin> Encoder { get; init; } = "gaussian-mlp";

    [Description("decoder plugin from z to the likelihood's parameters")]
    public Part<IDecoderPlugin> Decoder { get; init; } = "mlp";

    [Description("latent dimensions")]
    [Range(1, 4096)]
    public int Latent { get; init; } = 10;

    [Description("weight β of the KL term in the training loss (1 is the plain ELBO)")]
    [Range(0.0, 1000.0)]
    public double Beta { get; init; } = 4.0;
}

[ZooPlugin("zoo-sample-name", Description = "β-VAE (Higgins et al. 2017): the ELBO with its KL weighted by β, from likelihood, encoder and decoder parts")]
public sealed partial class ZooSampleClassModelPlugin : ModelPlugin<ZooSampleClassModelConfig>
{
    /// <summary>A binary likelihood (bernoulli) gets thresholded data under dataset.binarize=auto.</summary>
    protected override Binarization AutoBinarization(ZooSampleClassModelConfig config) =>
        config.Likelihood.Bound.WantsBinaryData ? Binarization.Threshold : Binarization.None;

    protected override IVaeModel Create(ZooSampleClassModelConfig config, DataShape data, Generator generator)
    {
        var likelihood = config.Likelihood.Create();
        // Given the data's shape, a convolutional encoder or decoder reads or writes pictures (encoder=conv).
        var encoder = config.Encoder.Create(data, config.Latent, generator);
        var decoder = config.Decoder.Create(config.Latent, data, likelihood.OutputsPerDimension, generator);
        return new ZooSampleClassModel(encoder, decoder, likelihood, config.Latent, config.Beta);
    }
}
