using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Models;
using Zoo.Core.Plugins;

namespace Zoo.Plugins.Vae.Vae;

/// <summary>
/// The VAE's keys: its four parts (each a plugin with keys of its own, `encoder.hidden=500,500`), the latent size and
/// the ELBO's options. Data and training keys belong to the run, not here.
/// </summary>
[ZooConfig]
[ConfigRule(nameof(CheckKl))]
[ConfigRule(nameof(CheckFreeBits))]
public sealed partial record VaeConfig
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

    private string? CheckFreeBits() => FreeBits > 0 && Kl == KlEstimator.MonteCarlo
        ? "free-bits uses the closed-form KL of each dimension; set kl=analytic"
        : null;

    private string? CheckKl() => Kl == KlEstimator.MonteCarlo && Samples == 1 && Beta == 0
        ? "kl = monte-carlo with beta = 0 ignores the KL entirely; use kl = analytic"
        : null;
}
