using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Vae.WaeMmd;

/// <summary>The penalty's weight λ and kernel.</summary>
public sealed record WaeOptions(double Lambda, MmdKernel Kernel);

/// <summary>
/// The Wasserstein autoencoder with an MMD penalty (Tolstikhin, Bousquet, Gelly and Schölkopf 2018, Algorithm 2), its
/// encoder deterministic (the code z is q(z|x)'s mean). The loss of a batch of n is
/// −(1/n) Σ log p(x_i | z_i) + λ·MMD²(z, z̃), with z̃ n draws from the prior and MMD² the unbiased estimate of
/// <see cref="Mmd.Unbiased"/>, its kernel's scale C = E‖z̃ − z̃'‖² estimated from those draws (2d for N(0, I); any prior
/// plugin serves). −log p(x|z) is the paper's cost c(x, G(z)): for a Gaussian likelihood of fixed variance, its squared
/// error up to scale; for a Bernoulli, the cross-entropy.
/// <para>
/// Per example the terms report Reconstruction = log p(x_i | z_i); Kl = the batch's penalty λ·MMD², the same for each
/// example (it is a property of the batch, not of an example), so the column's mean is the penalty; and Elbo =
/// Reconstruction − Kl, the objective's negative, whose mean is −loss. It is named "wae_mmd" (<see cref="Bound"/>):
/// the objective, not a bound on log p(x). A batch of one row has no unbiased MMD and pays no penalty.
/// </para>
/// </summary>
public class WassersteinAutoencoder : nn.Module, IVaeModel
{
    private readonly IEncoder encoder;
    private readonly IDecoder decoder;
    private readonly ComposedParts parts;

    public ILikelihood Likelihood { get; }
    public IPrior Prior { get; }
    public WaeOptions Options { get; }
    public int LatentDim { get; }
    public nn.Module Module => this;
    public string Bound => "wae_mmd";
    public string Penalty => "MMD";

    public WassersteinAutoencoder(string name, ComposedParts parts, int latentDim, WaeOptions options) : base(name)
    {
        this.parts = parts;
        (encoder, decoder, Likelihood, Prior, LatentDim, Options) = (parts.Encoder, parts.Decoder, parts.Likelihood, parts.Prior, latentDim, options);
        // Encoder, decoder and a learned prior's parameters (the VampPrior's pseudo-inputs) are trained and checkpointed.
        foreach (var (part, module) in parts.Modules()) register_module(part, module);
    }

    /// <summary>The code of each row of <paramref name="q"/>: its mean here (the paper's deterministic encoder).</summary>
    protected virtual Tensor Code(DiagonalGaussian q, Generator generator) => q.Mean;

    public ElboTerms Loss(Tensor x, Generator generator)
    {
        using var scope = NewDisposeScope();
        long n = x.size(0);
        var z = Code(encoder.Encode(x), generator);
        var rec = Likelihood.LogProb(decoder.Decode(z), x);
        var penalty = zeros([], rec.dtype);
        if (n >= 2)
        {
            var prior = Prior.Sample(n, LatentDim, generator);
            var scale = Mmd.ExpectedSquaredDistance(prior).detach(); // the kernel's width, not a term to train the prior through
            penalty = Mmd.Unbiased(z, prior, Options.Kernel, scale) * Options.Lambda;
        }
        var kl = penalty.expand(n).contiguous();
        var objective = rec - kl;
        var loss = -rec.mean() + penalty;
        return new ElboTerms(loss.MoveToOuterDisposeScope(), rec.MoveToOuterDisposeScope(), kl.MoveToOuterDisposeScope(), objective.MoveToOuterDisposeScope());
    }

    public DiagonalGaussian Encode(Tensor x) => encoder.Encode(x);

    public Tensor Decode(Tensor z) => parts.DecodeMean(z);

    public Tensor Sample(long n, Generator generator) => parts.Sample(n, LatentDim, generator);

    /// <summary>log p(x | z) + log p(z) per row: the model's joint, which importance sampling needs beside a proposal.</summary>
    public Tensor LogJoint(Tensor x, Tensor z) => parts.LogJoint(x, z);
}

/// <summary>
/// The WAE-MMD with a stochastic encoder: the code is a reparameterised draw from q(z|x). q is then a proposal for
/// p(x|z)p(z), so log p(x) can be importance-sampled (`zoo eval`), as with a VAE.
/// </summary>
public sealed class StochasticWassersteinAutoencoder(string name, ComposedParts parts, int latentDim, WaeOptions options)
    : WassersteinAutoencoder(name, parts, latentDim, options), IImportanceSampled
{
    protected override Tensor Code(DiagonalGaussian q, Generator generator) => q.Sample(generator);
}
