using Zoo.Core.Data.Tabular;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Vfae.Vfae;

/// <summary>The VFAE's weights and switches (see <see cref="VfaeConfig"/> for what each does).</summary>
public sealed record VfaeOptions(bool Fair, double Alpha, double MmdWeight, MmdEstimator Mmd, double Bandwidth, int RffFeatures);

/// <summary>
/// The semi-supervised Variational Fair Autoencoder (Louizos et al. 2016), over packed rows
/// [x | one-hot s | one-hot y | labelled] (<see cref="TabularLayout"/>):
/// q(z1|x,s), q(z2|z1,y) and p(z1|z2,y) are diagonal Gaussians from encoder plugins, q(y|z1) a softmax classifier,
/// p(x|z1,s) a Bernoulli likelihood over the binary features and a Gaussian over the continuous ones, p(z2) a prior
/// plugin and p(y) uniform. Per labelled row the bound is
///   L = log p(x|z1,s) − KL(q(z1|x,s) ‖ p(z1|z2,y)) − KL(q(z2|z1,y) ‖ p(z2)) + log p(y),
/// with z1, z2 reparameterised draws; an unlabelled row sums y out exactly, U = Σ_y q(y|z1) L(y) + H(q(y|z1)).
/// The loss adds −α·log q(y|z1) on labelled rows and β·MMD between the s groups of the batch, taken on the posterior
/// means of z1: on samples, σ-sized noise hides small differences of the means, which the probes (on means, with
/// standardised inputs) then find; measured on German credit, MMD on samples left s readable at 0.90 by an MLP probe.
/// With <see cref="VfaeOptions.Fair"/> false it is the plain VAE baseline: q(z1|x), p(x|z1), p(z1) = N(0, I).
/// </summary>
public sealed class VfaeModel : nn.Module, IVaeModel, IConditionalDecoder, IClassifier, IFairRepresentation, IRepeatedPasses
{
    private readonly TabularLayout layout;
    private readonly VfaeOptions options;
    private readonly IEncoder z1Encoder, z2Encoder, z1Decoder;
    private readonly nn.Module<Tensor, Tensor> classifier;
    private readonly IDecoder xDecoder;
    private readonly ILikelihood binary, continuous;
    private readonly IPrior prior;

    private readonly int latent2;

    public int LatentDim { get; }
    public nn.Module Module => this;

    public VfaeModel(TabularLayout layout, VfaeOptions options, int latent, int latent2, IEncoder z1Encoder, IEncoder z2Encoder, IEncoder z1Decoder,
        nn.Module<Tensor, Tensor> classifier, IDecoder xDecoder, ILikelihood binary, ILikelihood continuous, IPrior prior)
        : base("vfae")
    {
        (this.layout, this.options, LatentDim, this.latent2) = (layout, options, latent, latent2);
        (this.z1Encoder, this.z2Encoder, this.z1Decoder, this.classifier, this.xDecoder) = (z1Encoder, z2Encoder, z1Decoder, classifier, xDecoder);
        (this.binary, this.continuous, this.prior) = (binary, continuous, prior);
        register_module("q_z1", z1Encoder.Module);
        register_module("q_z2", z2Encoder.Module);
        register_module("p_z1", z1Decoder.Module);
        register_module("q_y", classifier);
        register_module("p_x", xDecoder.Module);
    }

    /// <summary>The inputs of the encoder: x and s for the VFAE, x alone for the plain VAE.</summary>
    private Tensor EncoderInput(Tensor rows) => rows.narrow(1, 0, options.Fair ? layout.Features + layout.SensitiveWidth : layout.Features);

    private Tensor S(Tensor rows) => rows.narrow(1, layout.Features, layout.SensitiveWidth);
    private Tensor Y(Tensor rows) => rows.narrow(1, layout.Features + layout.SensitiveWidth, layout.Classes);
    private Tensor Labelled(Tensor rows) => rows.narrow(1, layout.Width - 1, 1).squeeze(1);

    public DiagonalGaussian Encode(Tensor rows) => z1Encoder.Encode(EncoderInput(rows));

    /// <summary>log p(x | z1, s) over both feature blocks: [N].</summary>
    private Tensor LogLikelihood(Tensor z1, Tensor s, Tensor x)
    {
        using var scope = NewDisposeScope();
        var output = xDecoder.Decode(options.Fair ? cat([z1, s], 1) : z1);
        int b = layout.BinaryFeatures, c = layout.ContinuousFeatures;
        var total = zeros([x.size(0)]);
        if (b > 0) total = total + binary.LogProb(output.narrow(1, 0, b), x.narrow(1, 0, b));
        if (c > 0) total = total + continuous.LogProb(output.narrow(1, b, 2L * c), x.narrow(1, b, c));
        return total.MoveToOuterDisposeScope();
    }

    /// <summary>KL(q(z1|x,s) ‖ p(z1|z2,y)) + KL(q(z2|z1,y) ‖ p(z2)) − log p(y) for one-hot <paramref name="y"/>: [N].</summary>
    private Tensor LatentCost(DiagonalGaussian q1, Tensor z1, Tensor y, Generator generator)
    {
        using var scope = NewDisposeScope();
        var q2 = z2Encoder.Encode(cat([z1, y], 1));
        var z2 = q2.Sample(generator);
        var p1 = z1Decoder.Encode(cat([z2, y], 1));
        var kl2 = prior.AnalyticKl(q2) ?? (q2.LogProb(z2) - prior.LogProb(z2));
        return (q1.KlTo(p1) + kl2 + Math.Log(layout.Classes)).MoveToOuterDisposeScope();
    }

    public ElboTerms Loss(Tensor rows, Generator generator)
    {
        using var scope = NewDisposeScope();
        var x = rows.narrow(1, 0, layout.Features);
        var s = S(rows);
        var q1 = Encode(rows);
        var z1 = q1.Sample(generator);
        var rec = LogLikelihood(z1, s, x);
        Tensor elbo, loss;
        if (!options.Fair)
        {
            var kl = prior.AnalyticKl(q1) ?? (q1.LogProb(z1) - prior.LogProb(z1));
            elbo = rec - kl;
            loss = -elbo.mean();
        }
        else
        {
            var labelled = Labelled(rows);
            long n = rows.size(0);
            var logQy = nn.functional.log_softmax(classifier.forward(z1), 1);               // [N, K]
            var labelledCost = LatentCost(q1, z1, Y(rows), generator);
            var bound = rec - labelledCost;
            // On the meta device (a memory estimate) values cannot be read: count the costlier path, with unlabelled rows.
            if (rows.is_meta || labelled.sum().item<float>() < n)
            {
                // Unlabelled rows: Σ_y q(y|z1) L(y) + H(q(y|z1)), every class scored in one batch of N·K rows.
                int k = layout.Classes;
                var z1k = z1.unsqueeze(0).expand(k, n, LatentDim).reshape(k * n, LatentDim);
                var q1k = new DiagonalGaussian(q1.Mean.unsqueeze(0).expand(k, n, LatentDim).reshape(k * n, LatentDim),
                                               q1.LogVar.unsqueeze(0).expand(k, n, LatentDim).reshape(k * n, LatentDim));
                var yk = nn.functional.one_hot(arange(k).unsqueeze(1).expand(k, n).reshape(k * n), k).to(float32);
                var costs = LatentCost(q1k, z1k, yk, generator).reshape(k, n).t();           // [N, K]
                var qy = logQy.exp();
                var unlabelled = rec - (qy * costs).sum(1) - (qy * logQy).sum(1);
                bound = where(labelled.gt(0.5), bound, unlabelled);
            }
            elbo = bound;
            var logQyTrue = (logQy * Y(rows)).sum(1);
            var classification = (logQyTrue * labelled).sum() / n;
            var mmd = options.MmdWeight > 0 && layout.SensitiveIsGroup
                ? Mmd.Penalty(q1.Mean, s.is_meta ? MetaGroups(n) : s.argmax(1).data<long>(), layout.SensitiveGroups, options.Mmd, options.Bandwidth, options.RffFeatures, generator)
                : zeros([]);
            loss = -elbo.mean() - classification * options.Alpha + mmd * options.MmdWeight;
        }
        return new ElboTerms(loss.MoveToOuterDisposeScope(), rec.MoveToOuterDisposeScope(), (rec - elbo).MoveToOuterDisposeScope(),
            elbo.MoveToOuterDisposeScope());
    }

    /// <summary>Stand-in groups for a memory estimate on the meta device, where s cannot be read: rows spread over the groups.</summary>
    private long[] MetaGroups(long n) => Enumerable.Range(0, (int)n).Select(i => (long)(i % layout.SensitiveGroups)).ToArray();

    /// <summary>Unlabelled rows are scored once per class (y summed out), in one batch of N·K rows.</summary>
    public int Passes => options.Fair ? layout.Classes : 1;
    public string PassesName => "classes";
    public string? PassesKey => null;

    public bool RemovesSensitive => options.Fair;

    public string? ClassifierMissing => options.Fair ? null : "the vae variant of vfae has no classifier q(y|z1)";

    /// <summary>q(y | z1) as class probabilities for packed rows, from the posterior mean of z1: [N, K].</summary>
    public Tensor Classify(Tensor rows)
    {
        using var scope = NewDisposeScope();
        var q1 = Encode(rows);
        return nn.functional.softmax(classifier.forward(q1.Mean), 1).MoveToOuterDisposeScope();
    }

    /// <summary>E[x | z1] with s the first group, or blank pixels (this serves the generic verbs; see <see cref="Decode(Tensor, Tensor)"/>).</summary>
    public Tensor Decode(Tensor z1)
    {
        using var scope = NewDisposeScope();
        var s = layout.SensitiveIsGroup
            ? nn.functional.one_hot(zeros([z1.size(0)], int64), layout.SensitiveGroups).to(float32)
            : zeros([z1.size(0), layout.SensitiveWidth]);
        return DecodeMean(z1, s).MoveToOuterDisposeScope();
    }

    /// <summary>[E[x | z1, s] | s] with s read from <paramref name="rows"/>: for images, the whole picture.</summary>
    public Tensor Decode(Tensor z1, Tensor rows)
    {
        using var scope = NewDisposeScope();
        var s = S(rows);
        return cat([DecodeMean(z1, s), s], 1).MoveToOuterDisposeScope();
    }

    private Tensor DecodeMean(Tensor z1, Tensor s)
    {
        using var scope = NewDisposeScope();
        var output = xDecoder.Decode(options.Fair ? cat([z1, s], 1) : z1);
        int b = layout.BinaryFeatures, c = layout.ContinuousFeatures;
        var parts = new List<Tensor>();
        if (b > 0) parts.Add(binary.Mean(output.narrow(1, 0, b)));
        if (c > 0) parts.Add(continuous.Mean(output.narrow(1, b, 2L * c)));
        return cat(parts, 1).MoveToOuterDisposeScope();
    }

    /// <summary>z2 ~ p(z2), z1 ~ p(z1 | z2, y) for the given classes (null for the plain VAE, whose z1 has no y).</summary>
    public Tensor? SampleGivenClass(long[] classes, Generator generator)
    {
        if (!options.Fair) return null;
        using var scope = NewDisposeScope();
        var z2 = prior.Sample(classes.Length, latent2, generator);
        var y = nn.functional.one_hot(tensor(classes), layout.Classes).to(float32);
        return z1Decoder.Encode(cat([z2, y], 1)).Sample(generator).MoveToOuterDisposeScope();
    }

    /// <summary>z2 ~ p(z2), y uniform, z1 ~ p(z1|z2,y), decoded.</summary>
    public Tensor Sample(long n, Generator generator)
    {
        using var scope = NewDisposeScope();
        var z1 = prior.Sample(n, LatentDim, generator);
        if (options.Fair)
        {
            var z2 = prior.Sample(n, latent2, generator);
            var y = nn.functional.one_hot(randint(0, layout.Classes, [n], generator), layout.Classes).to(float32);
            z1 = z1Decoder.Encode(cat([z2, y], 1)).Sample(generator);
        }
        return Decode(z1).MoveToOuterDisposeScope();
    }
}
