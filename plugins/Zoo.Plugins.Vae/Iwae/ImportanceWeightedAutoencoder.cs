using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Vae.Iwae;

/// <summary>
/// The importance-weighted autoencoder (Burda, Grosse and Salakhutdinov 2016): the VAE's networks and parts, trained on
/// the k-sample bound L_k = log (1/k) Σ_i p(x, z_i) / q(z_i|x), z_i ~ q(z|x), which is the ELBO at k = 1 and tightens
/// toward log p(x) as k grows. Encoding, decoding, sampling and log p(x, z) are the VAE's own (<see cref="Vae"/>), so
/// its checkpoint holds the same tensors as a vae's. The reported reconstruction and KL are the ELBO's terms from the
/// same k samples (their difference is the k-sample average ELBO, below the bound).
/// </summary>
public sealed class ImportanceWeightedAutoencoder(VariationalAutoencoder vae, int k)
    : IVaeModel, IImportanceSampled, ILatentPrior, IRepeatedPasses
{
    public VariationalAutoencoder Vae { get; } = vae;
    public int K { get; } = k >= 1 ? k : throw new ArgumentOutOfRangeException(nameof(k), k, "the bound needs at least one sample");
    public nn.Module Module => Vae;
    public int LatentDim => Vae.LatentDim;
    public IPrior Prior => Vae.Prior;
    public string Bound { get; } = $"iwae_k{k}";

    public ElboTerms Loss(Tensor x, Generator generator)
    {
        using var scope = NewDisposeScope();
        long n = x.size(0);
        var q = Vae.Encode(x);
        var z = q.Sample(generator, K);                                   // [k, N, d]: one encoder pass, k draws per row
        var flat = z.reshape(K * n, LatentDim);
        var logPxGivenZ = Vae.Likelihood.LogProb(Vae.DecodeParameters(flat), x.unsqueeze(0).expand(K, n, x.size(1)).reshape(K * n, x.size(1))).view(K, n);
        var logPz = Vae.Prior.LogProb(flat).view(K, n);
        var logQz = q.LogProb(z);                                         // [k, N]
        var bound = (logPxGivenZ + logPz - logQz).logsumexp(0) - Math.Log(K);
        var rec = logPxGivenZ.mean(0);
        var kl = (logQz - logPz).mean(0);
        var loss = -bound.mean();
        return new ElboTerms(loss.MoveToOuterDisposeScope(), rec.MoveToOuterDisposeScope(), kl.MoveToOuterDisposeScope(), bound.MoveToOuterDisposeScope());
    }

    /// <summary>The decoder runs on k draws of every row at once, so activations grow k-fold.</summary>
    public int Passes => K;
    public string PassesName => "importance samples";
    public string? PassesKey => "k";

    public DiagonalGaussian Encode(Tensor x) => Vae.Encode(x);
    public Tensor LogJoint(Tensor x, Tensor z) => Vae.LogJoint(x, z);
    public Tensor Decode(Tensor z) => Vae.Decode(z);
    public Tensor Sample(long n, Generator generator) => Vae.Sample(n, generator);
    public void Dispose() => Vae.Dispose();
}
