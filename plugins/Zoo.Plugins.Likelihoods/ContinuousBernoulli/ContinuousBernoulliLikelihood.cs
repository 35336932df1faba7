using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Likelihoods.ContinuousBernoulli;

/// <summary>
/// The continuous Bernoulli (Loaiza-Ganem &amp; Cunningham 2019): p(x|λ) = C(λ) λ^x (1−λ)^(1−x) on x ∈ [0, 1], the
/// proper density for [0, 1] pixels that a Bernoulli likelihood on grey images is not (its values do not integrate
/// to 1 there). With decoder logits η = logit λ: log p = x·η − softplus(η) + log C, where C = η / tanh(η/2)
/// (→ 2 as η → 0), and E[x] = λ/(2λ−1) − 1/η (→ 1/2 + η/12).
/// </summary>
public sealed class ContinuousBernoulliLikelihood : ILikelihood
{
    // Below this |η| the closed forms cancel catastrophically in float32; their Taylor expansions are exact there to ~1e-9.
    private const double Small = 1e-2;
    private static readonly double Log2 = Math.Log(2);

    public int OutputsPerDimension => 1;

    public Tensor LogProb(Tensor decoderOutput, Tensor x)
    {
        using var scope = NewDisposeScope();
        var bernoulli = nn.functional.bernoulli_log_prob(decoderOutput, x); // Σ_j x·η − softplus(η)
        return (bernoulli + LogNormalizer(decoderOutput).sum(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>log C(λ) per dimension, stable near η = 0 (log 2 + η²/12) and for large |η| (log |η| − log tanh(|η|/2)).</summary>
    public static Tensor LogNormalizer(Tensor eta)
    {
        using var scope = NewDisposeScope();
        var a = eta.abs();
        var safe = a.clamp_min(Small); // the branch not taken must stay finite, or its gradient is NaN
        var far = safe.log() - (safe * 0.5).tanh().log();
        var near = eta.square() / 12.0 + Log2;
        return where(a.lt(Small), near, far).MoveToOuterDisposeScope();
    }

    public Tensor Mean(Tensor decoderOutput)
    {
        using var scope = NewDisposeScope();
        var eta = decoderOutput;
        var a = eta.abs();
        var safe = where(a.lt(Small), full(eta.shape, Small), eta);
        var lambda = safe.sigmoid();
        var far = lambda / (lambda * 2.0 - 1.0) - safe.pow(-1.0);
        var near = eta / 12.0 + 0.5;
        return where(a.lt(Small), near, far).MoveToOuterDisposeScope();
    }

    /// <summary>Inverse-CDF draws: x = log(1 + u(e^η − 1)) / η with u ~ U(0, 1) (x = u where η ≈ 0).</summary>
    public Tensor Sample(Tensor decoderOutput, Generator generator)
    {
        using var scope = NewDisposeScope();
        var eta = decoderOutput.clamp(-30.0, 30.0);
        var u = rand(eta.shape, generator);
        var a = eta.abs();
        var safe = where(a.lt(Small), full(eta.shape, Small), eta);
        var far = (u * (safe.exp() - 1.0)).log1p() / safe;
        return where(a.lt(Small), u, far).clamp(0.0, 1.0).MoveToOuterDisposeScope();
    }
}

[ZooPlugin("continuous-bernoulli", Description = "continuous Bernoulli on logits, a proper density for [0,1] data such as grey pixels (Loaiza-Ganem & Cunningham 2019)")]
public sealed partial class ContinuousBernoulliLikelihoodPlugin : LikelihoodPlugin<NoConfig>
{
    protected override ILikelihood Create(NoConfig config) => new ContinuousBernoulliLikelihood();
}
