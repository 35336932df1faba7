using Zoo.Core.Data.Tabular;
using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
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
public sealed class VfaeModel : nn.Module, IVaeModel, IConditionalDecoder, IClassifier, IFairRepresentation, IRepeatedPasses, IRowFactsLoss, IPhaseTimed
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

    /// <summary>Laps at the phases of <see cref="Loss(Tensor, RowFacts, Generator)"/> when set (`zoo bench vfae --profile`).</summary>
    public PhaseClock? Clock { get; set; }

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
        // A block that is all of the features (images: all binary) is scored as it is, without a slice or a sum.
        Tensor Block(Tensor t, long start, long width) => width == t.size(1) ? t : t.narrow(1, start, width);
        Tensor? total = null;
        if (b > 0) total = binary.LogProb(Block(output, 0, b), Block(x, 0, b));
        if (c > 0)
        {
            var lp = continuous.LogProb(Block(output, b, 2L * c), Block(x, b, c));
            total = total is null ? lp : total + lp;
        }
        return (total ?? zeros([x.size(0)])).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(q(z1|x,s) ‖ p(z1|z2,y)) + KL(q(z2|z1,y) ‖ p(z2)) − log p(y) for the scored rows r, each row
    /// <paramref name="source"/>[r] of <paramref name="z1"/> with class <paramref name="classes"/>[r]: [R], with
    /// z2 = mean + σ·<paramref name="eps"/> (the standard normal draws, as <see cref="DiagonalGaussian.Sample(Generator)"/>
    /// takes them) and <paramref name="q1"/> the batch's q(z1|x,s). y enters both networks as their input's last
    /// K columns (<see cref="IEncoder.EncodeWithClasses"/>), so a row's z1 goes through q(z2|z1,y)'s first GEMM once,
    /// and the KL reads q1's rows by <paramref name="source"/> without copying them.
    /// </summary>
    private Tensor LatentCost(DiagonalGaussian q1, Tensor z1, Tensor source, Tensor classes, Tensor eps)
    {
        using var scope = NewDisposeScope();
        var q2 = z2Encoder.EncodeWithClasses(z1, source, classes, layout.Classes);
        var z2 = q2.Sample(eps);
        var p1 = z1Decoder.EncodeWithClasses(z2, null, classes, layout.Classes);
        var kl2 = prior.AnalyticKl(q2) ?? (q2.LogProb(z2) - prior.LogProb(z2));
        return (q1.KlTo(p1, source) + kl2 + Math.Log(layout.Classes)).MoveToOuterDisposeScope();
    }

    /// <summary>The rows at host positions <paramref name="index"/>; the rows themselves when that is all of them, in order.</summary>
    private static Tensor Rows(Tensor t, long[] index, long n) => index.Length == n ? t.alias() : t.index_select(0, tensor(index));

    /// <summary>
    /// The loss with the rows' facts read from the rows (evaluation, tests): on the meta device (a memory estimate),
    /// where values cannot be read, every row counts as unlabelled (the costlier path) and rows spread over the s groups.
    /// </summary>
    public ElboTerms Loss(Tensor rows, Generator generator)
    {
        if (!options.Fair) return Loss(rows, new RowFacts([], null), generator);
        long n = rows.size(0);
        if (rows.is_meta) return Loss(rows, new RowFacts(new bool[n], UsesMmd ? MetaGroups(n) : null), generator);
        bool[] labelled;
        long[]? groups = null;
        using (NewDisposeScope())
        {
            labelled = layout.LabelledRows(rows);
            if (UsesMmd) groups = S(rows).argmax(1).data<long>();
        }
        return Loss(rows, new RowFacts(labelled, groups), generator);
    }

    private bool UsesMmd => options.MmdWeight > 0 && layout.SensitiveIsGroup;

    /// <summary>
    /// The loss with the rows' facts known on the host (<see cref="IRowFactsLoss"/>): labelled rows go through
    /// q(z2|z1,y) and p(z1|z2,y) once, with their y; unlabelled rows once per class, all in one batch of L + K·U rows. The
    /// standard normal draws for z2 are taken as when every row went through both passes (N for the pass with each
    /// row's y, then K·N when any row is unlabelled) and each row keeps its own, so the generator's stream stays that
    /// implementation's (its figures move by float rounding only: y is added outside the first layers' GEMMs).
    /// </summary>
    public ElboTerms Loss(Tensor rows, RowFacts facts, Generator generator)
    {
        using var scope = NewDisposeScope();
        var x = rows.narrow(1, 0, layout.Features);
        var s = S(rows);
        var q1 = Encode(rows);
        var z1 = q1.Sample(generator);
        Clock?.Lap("forward: q(z1|x,s), z1");
        var rec = LogLikelihood(z1, s, x);
        Clock?.Lap("forward: p(x|z1,s)");
        Tensor elbo, loss;
        if (!options.Fair)
        {
            var kl = prior.AnalyticKl(q1) ?? (q1.LogProb(z1) - prior.LogProb(z1));
            elbo = rec - kl;
            loss = -elbo.mean();
        }
        else
        {
            long n = rows.size(0);
            if (facts.Labelled.Length != n) throw new ArgumentException($"vfae: {facts.Labelled.Length} row facts for {n} rows", nameof(facts));
            int k = layout.Classes;
            var (li, ui) = facts.Split();
            var logQy = nn.functional.log_softmax(classifier.forward(z1), 1);               // [N, K]
            var epsOwn = randn([n, latent2], generator);
            var epsClasses = ui.Length > 0 ? randn([k * n, latent2], generator) : null;
            Clock?.Lap("forward: q(y|z1), z2 draws");
            // One batch through q(z2|z1,y) and p(z1|z2,y): each labelled row once with its own y, then each unlabelled
            // row once per class (class-major). Scored row r is row source[r] with class classes[r] and the draw
            // draws[r] of [own draws | class draws]: row i's own is row i, its draw for class c row N + c·N + i.
            long l = li.Length, u = ui.Length;
            var source = new long[l + k * u];
            var draws = new long[source.Length];
            var unlabelledClasses = new long[k * u];
            for (int p = 0; p < l; p++) source[p] = draws[p] = li[p];
            for (int c = 0; c < k; c++)
                for (int j = 0; j < u; j++)
                {
                    long q = l + c * u + j;
                    source[q] = ui[j];
                    draws[q] = n + c * n + ui[j];
                    unlabelledClasses[c * u + j] = c;
                }
            var sourceRows = tensor(source);
            var ownClasses = l > 0 ? Rows(Y(rows).argmax(1), li, n) : null;
            var classes = ownClasses is null ? tensor(unlabelledClasses) : u > 0 ? cat([ownClasses, tensor(unlabelledClasses)]) : ownClasses;
            var allDraws = epsClasses is null ? epsOwn : cat([epsOwn, epsClasses]);
            var eps = Rows(allDraws, draws, allDraws.size(0));
            var costs = LatentCost(q1, z1, sourceRows, classes, eps);                           // [L + K·U]
            Clock?.Lap("forward: q(z2|z1,y), p(z1|z2,y) over L + K·U rows");
            // Labelled rows: rec − cost; unlabelled rows: Σ_y q(y|z1) L(y) + H(q(y|z1)), in the rows' order; the loss adds
            // −α log q(y|z1) on the labelled rows.
            (elbo, loss) = nn.functional.semi_supervised_objective(rec, costs, logQy, Y(rows), Labelled(rows), li, ui, options.Alpha);
            if (UsesMmd)
                loss += Mmd.Penalty(q1.Mean, facts.Groups ?? throw new ArgumentException("vfae: the MMD needs each row's s group", nameof(facts)),
                    layout.SensitiveGroups, options.Mmd, options.Bandwidth, options.RffFeatures, generator) * options.MmdWeight;
            Clock?.Lap("forward: bound, classification, MMD");
        }
        return new ElboTerms(loss.MoveToOuterDisposeScope(), rec.MoveToOuterDisposeScope(), (rec - elbo).MoveToOuterDisposeScope(),
            elbo.MoveToOuterDisposeScope());
    }

    /// <summary>Stand-in groups for a memory estimate on the meta device, where s cannot be read: rows spread over the groups.</summary>
    private long[] MetaGroups(long n) => Enumerable.Range(0, (int)n).Select(i => (long)(i % layout.SensitiveGroups)).ToArray();

    /// <summary>Unlabelled rows are scored once per class (y summed out), in one batch with the labelled rows (at most K·N rows).</summary>
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
        return z1Decoder.EncodeWithClasses(z2, null, tensor(classes), layout.Classes).Sample(generator).MoveToOuterDisposeScope();
    }

    /// <summary>z2 ~ p(z2), y uniform, z1 ~ p(z1|z2,y), decoded.</summary>
    public Tensor Sample(long n, Generator generator)
    {
        using var scope = NewDisposeScope();
        var z1 = prior.Sample(n, LatentDim, generator);
        if (options.Fair)
        {
            var z2 = prior.Sample(n, latent2, generator);
            var y = randint(0, layout.Classes, [n], generator);
            z1 = z1Decoder.EncodeWithClasses(z2, null, y, layout.Classes).Sample(generator);
        }
        return Decode(z1).MoveToOuterDisposeScope();
    }
}
