using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Plugins;

// Optional abilities of a model. Verbs ask for an ability, never for a concrete model type, and name the missing one.

/// <summary>
/// A model whose marginal likelihood log p(x) can be estimated by importance sampling with q(z|x) as the proposal
/// (the IWAE bound, seed 004's likelihood figures and anomaly scores).
/// </summary>
public interface IImportanceSampled
{
    /// <summary>q(z|x), the proposal.</summary>
    DiagonalGaussian Encode(Tensor x);

    /// <summary>log p(x | z) + log p(z) per row: [N] for x [N, D] and z [N, d].</summary>
    Tensor LogJoint(Tensor x, Tensor z);
}

/// <summary>
/// A model whose decoder also reads a nuisance variable s from each example (the VFAE's p(x|z1,s)): it decodes z
/// given the s of real examples, which is how its samples and reconstructions are drawn (seed 000: z1 ~ N(0, I)
/// with s taken from test images). Pictures fall back to <see cref="IVaeModel.Decode"/> without it.
/// </summary>
public interface IConditionalDecoder
{
    /// <summary>[E[x | z, s] | s] with s from <paramref name="rows"/> (packed rows): x then s, as the rows lay them out.</summary>
    Tensor Decode(Tensor z, Tensor rows);

    /// <summary>
    /// z drawn from the model's own prior given each class, where the prior has a class variable (the VFAE:
    /// z2 ~ N(0, I), z1 ~ p(z1 | z2, y)); null where it has none.
    /// </summary>
    Tensor? SampleGivenClass(long[] classes, Generator generator) => null;
}

/// <summary>A model with its own classifier q(y | ·) of its inputs (the VFAE's q(y|z1)); semi-supervised accuracy reads it.</summary>
public interface IClassifier
{
    /// <summary>Whether this instance has a classifier (a variant of the model may not): null when it has, else why not.</summary>
    string? ClassifierMissing => null;

    /// <summary>Class probabilities for inputs as the model sees them: [N, K].</summary>
    Tensor Classify(Tensor inputs);
}

/// <summary>
/// A model that learns a representation meant to be independent of a sensitive variable s given in its inputs
/// (the VFAE's z1); fairness probes read its posterior means. <see cref="IVaeModel.Encode"/> gives it.
/// </summary>
public interface IFairRepresentation
{
    /// <summary>Whether this instance removes s (the plain-VAE variant of the VFAE does not, and serves as the baseline).</summary>
    bool RemovesSensitive { get; }
}

/// <summary>
/// A model whose objective changes with training progress (KL warm-up). The trainer calls <see cref="Progress"/> before
/// every training batch with the global step (0-based) and the batches per epoch, so a resumed run anneals exactly as
/// an uninterrupted one.
/// </summary>
public interface IScheduledObjective
{
    void Progress(long step, int batchesPerEpoch);

    /// <summary>The KL weight the next batch's loss uses.</summary>
    double KlWeight { get; }
}

/// <summary>A model whose latent z has the prior p(z) itself (not one conditioned on other variables); diagnostics read its KL per dimension.</summary>
public interface ILatentPrior
{
    IPrior Prior { get; }
}

/// <summary>
/// A model whose training step runs its networks several times per example (a VAE's L samples of z, the VFAE's pass
/// per class for unlabelled rows), so activations grow with that count as with the batch. The memory estimate names it.
/// </summary>
public interface IRepeatedPasses
{
    /// <summary>Passes per example in one step (1: a single pass).</summary>
    int Passes { get; }

    /// <summary>What a pass is, plural: "samples", "classes".</summary>
    string PassesName { get; }

    /// <summary>The config key that sets <see cref="Passes"/>, for the advice to lower it; null when none does.</summary>
    string? PassesKey { get; }
}

/// <summary>
/// What the host knows about the packed rows of a batch before they reach the device: which rows are labelled and,
/// where s forms groups (tables), each row's s group (null otherwise). Built from the data's host copies, so a model
/// that takes them reads nothing back from its tensors.
/// </summary>
public sealed record RowFacts(bool[] Labelled, long[]? Groups)
{
    /// <summary>The facts of the rows at <paramref name="index"/> (a batch's positions in these rows), in that order.</summary>
    public RowFacts Select(long[] index) =>
        new(Array.ConvertAll(index, i => Labelled[i]), Groups is { } g ? Array.ConvertAll(index, i => g[i]) : null);

    /// <summary>Positions of the labelled rows, then of the unlabelled ones.</summary>
    public (long[] Labelled, long[] Unlabelled) Split()
    {
        var l = new List<long>(Labelled.Length);
        var u = new List<long>(Labelled.Length);
        for (int i = 0; i < Labelled.Length; i++) (Labelled[i] ? l : u).Add(i);
        return (l.ToArray(), u.ToArray());
    }
}

/// <summary>
/// A model whose loss treats rows by host-side facts (the VFAE: labelled rows once with their y, unlabelled ones once
/// per class; s groups for the MMD). The trainer passes each training batch's <see cref="RowFacts"/>, so a step reads
/// no counts or groups back from the device; <see cref="IVaeModel.Loss"/> without them reads the rows themselves
/// (evaluation, the memory estimate, tests) and must give the same terms.
/// </summary>
public interface IRowFactsLoss
{
    ElboTerms Loss(Tensor rows, RowFacts facts, Generator generator);
}
