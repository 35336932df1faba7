using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Models;
using Zoo.Core.Plugins;

namespace Zoo.Plugins.Vae.Vae;

/// <summary>
/// The VAE's keys: its four parts and latent size (<see cref="ComposedModelConfig"/>) and the ELBO's options. Data and
/// training keys belong to the run, not here.
/// </summary>
[ZooConfig]
[ConfigRule(nameof(CheckKl))]
[ConfigRule(nameof(CheckFreeBits))]
public sealed partial record VaeConfig : ComposedModelConfig
{
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
