using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Models;

/// <summary>
/// The keys every model composed of a likelihood, a prior, an encoder and a decoder shares (vae, iwae, …), declared
/// once: the four parts (each a plugin with keys of its own, `encoder.hidden=500,500`) and the latent size. A model's
/// config derives from it and adds its objective's keys.
/// </summary>
[ZooConfig]
public abstract partial record ComposedModelConfig
{
    [Description("likelihood plugin p(x|z): what the decoder's outputs parameterise")]
    public Part<ILikelihoodPlugin> Likelihood { get; init; } = "bernoulli";

    [Description("prior plugin p(z)")]
    public Part<IPriorPlugin> Prior { get; init; } = "standard-normal";

    [Description("encoder plugin q(z|x)")]
    public Part<IEncoderPlugin> Encoder { get; init; } = "gaussian-mlp";

    [Description("decoder plugin: z to the likelihood's parameters")]
    public Part<IDecoderPlugin> Decoder { get; init; } = "mlp";

    [Description("latent dimensions (2 for latent-plot)")]
    [Range(1, 4096)]
    public int Latent { get; init; } = 20;

    /// <summary>
    /// The four parts for <paramref name="data"/>, the networks initialised from <paramref name="generator"/>: the
    /// encoder first, then the decoder (the order seed 003's figures depend on). <paramref name="prior"/>: the prior when
    /// the model has made it already (to check it before any network is built). A prior with learned parameters
    /// (<see cref="ILearnedPrior"/>) is attached to the encoder last, so it draws after the networks.
    /// </summary>
    public ComposedParts CreateParts(DataShape data, Generator generator, IPrior? prior = null)
    {
        var likelihood = Likelihood.Create();
        prior ??= Prior.Create();
        var encoder = Encoder.Create(data, Latent, generator);
        var decoder = Decoder.Create(Latent, data, likelihood.OutputsPerDimension, generator);
        (prior as ILearnedPrior)?.Attach(encoder, data, generator);
        return new ComposedParts(encoder, decoder, likelihood, prior);
    }

    /// <summary>Whether <paramref name="prior"/> has a closed-form KL from a diagonal Gaussian in <see cref="Latent"/> dimensions.</summary>
    public bool HasAnalyticKl(IPrior prior)
    {
        using var scope = NewDisposeScope(); // frees the probe's tensors
        return prior.AnalyticKl(new DiagonalGaussian(zeros(1, Latent), zeros(1, Latent))) is not null;
    }
}

/// <summary>A composed model's parts, built from its config (<see cref="ComposedModelConfig.CreateParts"/>).</summary>
public sealed record ComposedParts(IEncoder Encoder, IDecoder Decoder, ILikelihood Likelihood, IPrior Prior)
{
    /// <summary>
    /// The networks a model built of these parts owns, by the names its checkpoints give them: the encoder, the decoder
    /// and, for a prior with learned parameters, the prior. A model registers each (`register_module(name, module)`),
    /// so the optimiser trains them all and a checkpoint saves and resumes them all.
    /// </summary>
    public IEnumerable<(string Name, nn.Module Module)> Modules()
    {
        yield return ("encoder", Encoder.Module);
        yield return ("decoder", Decoder.Module);
        if (Prior is ILearnedPrior learned) yield return ("prior", learned.Module);
    }

    /// <summary>E[x | z] under the likelihood: the decoder's output for <paramref name="z"/> through the likelihood's mean.</summary>
    public Tensor DecodeMean(Tensor z)
    {
        using var output = Decoder.Decode(z);
        return Likelihood.Mean(output);
    }

    /// <summary>Draws z from the prior and decodes its mean image: [n, D].</summary>
    public Tensor Sample(long n, int latentDim, Generator generator)
    {
        using var z = Prior.Sample(n, latentDim, generator);
        return DecodeMean(z);
    }

    /// <summary>log p(x | z) + log p(z) per row: [N] for x [N, D] and z [N, d] (the joint importance sampling weighs).</summary>
    public Tensor LogJoint(Tensor x, Tensor z)
    {
        using var output = Decoder.Decode(z);
        using var logLikelihood = Likelihood.LogProb(output, x);
        using var logPrior = Prior.LogProb(z);
        return logLikelihood + logPrior;
    }
}
