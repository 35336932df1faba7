using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Priors.Vamp;

/// <summary>
/// The VampPrior (Tomczak &amp; Welling 2018): p(z) = (1/K) Σ_k q(z | u_k), the model's own encoder applied to K learned
/// pseudo-inputs u_k in data space. The u_k are hardtanh(0, 1) of a parameter drawn N(<c>initMean</c>, <c>initStd</c>²),
/// as in the authors' code, so they stay in the data's [0, 1]. It needs the encoder, so a composed model attaches it
/// (<see cref="ILearnedPrior"/>) and trains and saves its parameter with the networks. No closed-form KL.
/// </summary>
public sealed class VampPrior(int components, double initMean, double initStd, bool unitRange = true) : IPrior, ILearnedPrior
{
    private static readonly double Log2Pi = Math.Log(2 * Math.PI);
    private PseudoInputs? pseudoInputs;
    private IEncoder? encoder;

    public int Components => components;

    public nn.Module Module => pseudoInputs ?? throw NotAttached();

    public void Attach(IEncoder encoder, DataShape data, Generator generator)
    {
        if (this.encoder is not null) throw new InvalidOperationException("prior vamp: already attached to an encoder");
        pseudoInputs = new PseudoInputs(components, data.Dimensions, initMean, initStd, unitRange, generator);
        this.encoder = encoder;
    }

    /// <summary>The K mixture components q(z | u_k): [K, d] means and log-variances, differentiable in the u_k and the encoder.</summary>
    public DiagonalGaussian Mixture()
    {
        if (encoder is null || pseudoInputs is null) throw NotAttached();
        using var u = pseudoInputs.Values();
        return encoder.Encode(u);
    }

    /// <summary>
    /// log p(z) = logsumexp_k log N(z; μ_k, σ_k²) − log K, for z [..., d]. The squared distances come from matmuls,
    /// Σ_d (z − μ_k)²/σ_k² = z²·(1/σ_k²) − 2 z·(μ_k/σ_k²) + Σ_d μ_k²/σ_k², so memory is [N, K], never [N, K, d]
    /// (zoo eval passes tens of thousands of rows at once).
    /// </summary>
    public Tensor LogProb(Tensor z)
    {
        using var scope = NewDisposeScope();
        var d = z.size(-1);
        var rows = z.reshape(-1, d);
        var q = Mixture();
        var precision = (-q.LogVar).exp();                    // [K, d]
        var scaled = q.Mean * precision;                      // μ/σ²
        var quadratic = rows.square().mm(precision.t()) - rows.mm(scaled.t()) * 2 + (q.Mean * scaled).sum(-1); // [N, K]
        var logNormal = (quadratic + q.LogVar.sum(-1) + d * Log2Pi) * -0.5;
        var logp = logNormal.logsumexp(1) - Math.Log(components);
        return logp.reshape(z.shape[..^1]).MoveToOuterDisposeScope();
    }

    /// <summary>A component k uniformly, then z ~ q(z | u_k).</summary>
    public Tensor Sample(long n, long latentDim, Generator generator)
    {
        using var scope = NewDisposeScope();
        var q = Mixture();
        if (q.Mean.size(1) != latentDim)
            throw new ArgumentException($"prior vamp: the encoder gives {q.Mean.size(1)} latent dimensions; {latentDim} asked for");
        var k = randint(0, components, [n], generator);
        var picked = new DiagonalGaussian(q.Mean.index_select(0, k), q.LogVar.index_select(0, k));
        return picked.Sample(generator).MoveToOuterDisposeScope();
    }

    public Tensor? AnalyticKl(DiagonalGaussian q) => null;

    private static InvalidOperationException NotAttached() =>
        new("prior vamp: not attached to an encoder; a composed model (vae) attaches it when it builds its networks");

    /// <summary>The pseudo-inputs' parameter [K, D]; a model that registers it as "prior" saves it as prior.pseudo_inputs.</summary>
    private sealed class PseudoInputs : nn.Module
    {
        private readonly Parameter raw;
        private readonly bool unitRange;

        public PseudoInputs(int components, int dimensions, double mean, double std, bool unitRange, Generator generator) : base("PseudoInputs")
        {
            this.unitRange = unitRange;
            using var _ = no_grad();
            using var init = empty([components, dimensions]);
            init.normal_(mean, std, generator);
            raw = register_parameter("pseudo_inputs", new Parameter(init));
        }

        /// <summary>The pseudo-inputs: hardtanh(0, 1) of the parameter for pixels, else the parameter itself (a view the caller may dispose).</summary>
        public Tensor Values() => unitRange ? raw.clamp(0, 1) : raw.alias();
    }
}

[ZooConfig]
public sealed partial record VampPriorConfig
{
    /// <summary>number of pseudo-inputs K (mixture components)</summary>
    [Range(1, 100000)]
    public int Components { get; init; } = 500;

    /// <summary>mean of the pseudo-inputs' initial values (the authors' MNIST setting; hardtanh keeps them in [0, 1])</summary>
    [Range(-1000.0, 1000.0)]
    public double InitMean { get; init; } = 0.05;

    /// <summary>standard deviation of the pseudo-inputs' initial values</summary>
    [Range(0.0, 1000.0)]
    public double InitStd { get; init; } = 0.01;

    /// <summary>keep the pseudo-inputs in [0, 1] (hardtanh), as pixels are; false for data outside [0, 1] (standardised features): the learned values as they are</summary>
    public bool UnitRange { get; init; } = true;
}

[ZooPlugin("vamp", Description = "VampPrior (Tomczak & Welling 2018): p(z) = (1/K) sum_k q(z|u_k) over K learned pseudo-inputs " +
    "u_k = hardtanh(0,1) of N(0.05, 0.01^2) draws, as the authors' code (github.com/jmtomczak/vae_vampprior); no closed-form KL: kl=monte-carlo")]
public sealed partial class VampPriorPlugin : PriorPlugin<VampPriorConfig>
{
    protected override IPrior Create(VampPriorConfig config) => new VampPrior(config.Components, config.InitMean, config.InitStd, config.UnitRange);
}
