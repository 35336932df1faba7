using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Models;

/// <summary>How the KL term of the ELBO is computed (seed 004: closed form; seed 002: Monte Carlo).</summary>
public enum KlEstimator { Analytic, MonteCarlo }

/// <summary>
/// The ELBO's options: KL in closed form or as the Monte Carlo estimate E_q[log q(z|x) − log p(z)], the number L
/// of z samples per example, and β, the weight of the KL in the training loss (β = 1 is the ELBO). Two remedies for
/// posterior collapse (seed 002's pitfall) change only the training loss, never the reported ELBO:
/// <see cref="WarmupEpochs"/> anneals the KL weight linearly from 0 to β over that many epochs (Bowman et al. 2016),
/// and <see cref="FreeBits"/> λ replaces the KL by Σ_d max(λ, E_batch KL_d), so each latent dimension may carry λ nats
/// for free (Kingma et al. 2016; needs a factorised prior).
/// </summary>
public sealed record ElboOptions(KlEstimator Kl = KlEstimator.Analytic, int Samples = 1, double Beta = 1.0,
    double WarmupEpochs = 0, double FreeBits = 0);

/// <summary>
/// A VAE composed from plugins: encoder q(z|x), a decoder to the likelihood's parameters, likelihood
/// p(x|z) and prior p(z). Per example the ELBO is (1/L) Σ_l log p(x|z_l) − KL, with z_l reparameterised draws;
/// KL is closed-form or (1/L) Σ_l [log q(z_l|x) − log p(z_l)]. The loss is −mean(reconstruction − β·KL).
/// </summary>
public sealed class VariationalAutoencoder : nn.Module, IVaeModel, IImportanceSampled, IScheduledObjective, ILatentPrior, IRepeatedPasses
{
    private double warmup = 1.0; // the warm-up factor of the KL weight; 1 outside training
    private readonly IEncoder encoder;
    private readonly IDecoder decoder;
    private readonly ComposedParts parts;

    public ILikelihood Likelihood { get; }
    public IPrior Prior { get; }
    public ElboOptions Options { get; }
    public int LatentDim { get; }
    public nn.Module Module => this;

    public VariationalAutoencoder(string name, IEncoder encoder, IDecoder decoder, ILikelihood likelihood,
        IPrior prior, int latentDim, ElboOptions options) : base(name)
    {
        if (options.Samples < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Samples, "the ELBO needs at least one sample");
        if (options.FreeBits > 0 && prior is not IFactorizedPrior)
            throw new InvalidOperationException($"{name}: free bits need a prior that factorises over dimensions (standard-normal)");
        this.encoder = encoder;
        this.decoder = decoder;
        parts = new ComposedParts(encoder, decoder, likelihood, prior);
        (Likelihood, Prior, LatentDim, Options) = (likelihood, prior, latentDim, options);
        foreach (var (part, module) in parts.Modules()) register_module(part, module);
    }

    public ElboTerms Loss(Tensor x, Generator generator)
    {
        using var scope = NewDisposeScope();
        var q = encoder.Encode(x);
        // Free bits need the KL per dimension; its sum is then the reported KL, computed once.
        var perDimension = Options.FreeBits > 0 ? ((IFactorizedPrior)Prior).AnalyticKlPerDimension(q) : null;
        Tensor? analytic = Options.Kl == KlEstimator.Analytic
            ? perDimension?.sum(-1) ?? Prior.AnalyticKl(q) ?? throw new InvalidOperationException($"{Name}: the prior has no closed-form KL; use kl=monte-carlo")
            : null;
        Tensor rec = null!, mcKl = null!;
        for (int l = 0; l < Options.Samples; l++)
        {
            var z = q.Sample(generator);
            var r = Likelihood.LogProb(decoder.Decode(z), x);
            rec = l == 0 ? r : rec + r;
            if (analytic is null)
            {
                var k = q.LogProb(z) - Prior.LogProb(z);
                mcKl = l == 0 ? k : mcKl + k;
            }
        }
        if (Options.Samples > 1)
        {
            rec = rec / Options.Samples;
            if (analytic is null) mcKl = mcKl / Options.Samples;
        }
        var kl = analytic ?? mcKl;
        var elbo = rec - kl;
        var weight = KlWeight;
        Tensor loss;
        if (perDimension is not null)
            loss = -rec.mean() + perDimension.mean(0).clamp_min(Options.FreeBits).sum() * weight; // below λ nats a dimension's batch-mean KL is free
        else loss = weight == 1.0 ? -elbo.mean() : -(rec - kl * weight).mean();
        return new ElboTerms(loss.MoveToOuterDisposeScope(), rec.MoveToOuterDisposeScope(), kl.MoveToOuterDisposeScope(), elbo.MoveToOuterDisposeScope());
    }

    public DiagonalGaussian Encode(Tensor x) => encoder.Encode(x);

    /// <summary>The decoder runs once per sample of z (L = samples), each pass's activations kept for backward.</summary>
    public int Passes => Options.Samples;
    public string PassesName => "samples";
    public string? PassesKey => "samples";

    public double KlWeight => Options.Beta * warmup;

    public void Progress(long step, int batchesPerEpoch) =>
        warmup = Options.WarmupEpochs <= 0 ? 1.0 : Math.Min(1.0, (step + 1) / (Options.WarmupEpochs * batchesPerEpoch));

    public Tensor LogJoint(Tensor x, Tensor z) => parts.LogJoint(x, z);

    /// <summary>The decoder's output for <paramref name="z"/>: the likelihood's parameters (other objectives over the same parts read it).</summary>
    public Tensor DecodeParameters(Tensor z) => decoder.Decode(z);

    public Tensor Decode(Tensor z) => parts.DecodeMean(z);

    public Tensor Sample(long n, Generator generator) => parts.Sample(n, LatentDim, generator);
}
