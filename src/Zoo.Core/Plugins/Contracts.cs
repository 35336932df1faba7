using Zoo.Core.Configuration;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Plugins;

/// <summary>The four plugin families the zoo composes models from.</summary>
public enum PluginKind { Likelihood, Prior, Encoder, Model }

/// <summary>
/// What every plugin declares: its family, a unique name within that family (kebab-case, as users type it),
/// a one-line description and the schema of its config record (keys, defaults, ranges, docs).
/// Plugins are registered in DI as <see cref="IPlugin"/> and resolved by name through <see cref="PluginCatalog"/>.
/// </summary>
public interface IPlugin
{
    PluginKind Kind { get; }
    string Name { get; }
    string Description { get; }
    IConfigSchema Config { get; }
}

/// <summary>
/// p(x | decoder output). The decoder emits <see cref="OutputsPerDimension"/> values per data dimension
/// (Bernoulli: one logit; Gaussian: μ and log σ²), laid out as [N, k·D] with the k blocks side by side.
/// </summary>
public interface ILikelihood
{
    int OutputsPerDimension { get; }

    /// <summary>log p(x | params) summed over the data dimensions: [N].</summary>
    Tensor LogProb(Tensor decoderOutput, Tensor x);

    /// <summary>E[x | params]: [N, D] (Bernoulli: probabilities; Gaussian: μ).</summary>
    Tensor Mean(Tensor decoderOutput);

    /// <summary>A draw x ~ p(x | params): [N, D].</summary>
    Tensor Sample(Tensor decoderOutput, Generator generator);
}

/// <summary>p(z).</summary>
public interface IPrior
{
    /// <summary>log p(z) summed over latent dimensions: [N].</summary>
    Tensor LogProb(Tensor z);

    Tensor Sample(long n, long latentDim, Generator generator);

    /// <summary>KL(q || p) per example in closed form, or null where this prior has none (then use Monte Carlo).</summary>
    Tensor? AnalyticKl(DiagonalGaussian q);
}

/// <summary>q(z | x): a network that maps inputs to a diagonal Gaussian over the latent space.</summary>
public interface IEncoder
{
    /// <summary>The encoder's network (parameters, train/eval, save/load).</summary>
    nn.Module Module { get; }

    DiagonalGaussian Encode(Tensor x);
}

/// <summary>Builds the likelihood from its config.</summary>
public interface ILikelihoodPlugin : IPlugin
{
    ILikelihood Create(object config);
}

public interface IPriorPlugin : IPlugin
{
    IPrior Create(object config);
}

/// <summary>Builds an encoder for the given input and latent sizes, initialised from <paramref name="generator"/>.</summary>
public interface IEncoderPlugin : IPlugin
{
    IEncoder Create(object config, int inputDim, int latentDim, Generator generator);
}

/// <summary>A model family: builds a trainable model and names the data it trains on.</summary>
public interface IModelPlugin : IPlugin
{
    /// <summary>The model for <paramref name="data"/>'s input size, with networks initialised from <paramref name="generator"/>.</summary>
    IVaeModel Create(object config, DataShape data, Generator generator);
}

/// <summary>
/// The size of one input and how many classes its labels have (for plots). For a table, <see cref="Table"/> says how
/// its packed rows are laid out, so a model sizes its networks without reading the file again.
/// </summary>
public sealed record DataShape(int Dimensions, int Height, int Width, int Classes)
{
    public Data.Tabular.TabularLayout? Table { get; init; }

    /// <summary>
    /// The picture an input is: the input itself for image sets; for image rows (the VFAE on MNIST) the picture in
    /// their first columns. A table's rows are no pictures, which is the error.
    /// </summary>
    public DataShape Pictured() => Table switch
    {
        null => this,
        { Picture: { } p } => new DataShape(p.Height * p.Width, p.Height, p.Width, Classes),
        _ => throw new ArgumentException("this run's data is a table: its rows are not pictures (use encode or fairness)"),
    };
}

/// <summary>
/// A trainable latent-variable model. Owns its networks; <see cref="Loss"/> gives the training objective of a
/// batch with its per-example terms.
/// </summary>
public interface IVaeModel : IDisposable
{
    nn.Module Module { get; }
    int LatentDim { get; }

    /// <summary>The batch's loss (to minimise) and per-example reconstruction log-likelihood, KL and ELBO (nats).</summary>
    ElboTerms Loss(Tensor x, Generator generator);

    /// <summary>q(z|x).</summary>
    DiagonalGaussian Encode(Tensor x);

    /// <summary>E[x | z] under the likelihood.</summary>
    Tensor Decode(Tensor z);

    /// <summary>Draws z from the prior and decodes its mean image: [n, D].</summary>
    Tensor Sample(long n, Generator generator);
}

/// <summary>
/// A model whose decoder also reads a nuisance variable s from each example (the VFAE's p(x|z1,s)): it decodes z
/// given the s of real examples, which is how its samples and reconstructions are drawn (seed 000: z1 ~ N(0, I)
/// with s taken from test images). Optional: pictures fall back to <see cref="IVaeModel.Decode"/>.
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

/// <summary>
/// A batch's objective: <see cref="Loss"/> is a scalar to minimise; the rest are per-example [N]:
/// E_q[log p(x|z)] (<see cref="Reconstruction"/>), KL(q(z|x) || p(z)) and ELBO = reconstruction − KL.
/// </summary>
public sealed record ElboTerms(Tensor Loss, Tensor Reconstruction, Tensor Kl, Tensor Elbo);

/// <summary>
/// A model whose marginal likelihood log p(x) can be estimated by importance sampling with q(z|x) as the proposal
/// (the IWAE bound, seed 004's likelihood figures and anomaly scores). Optional: models without it still train.
/// </summary>
public interface IImportanceSampled
{
    /// <summary>q(z|x), the proposal.</summary>
    DiagonalGaussian Encode(Tensor x);

    /// <summary>log p(x | z) + log p(z) per row: [N] for x [N, D] and z [N, d].</summary>
    Tensor LogJoint(Tensor x, Tensor z);
}

/// <summary>
/// A prior that factorises over latent dimensions with a closed-form KL per dimension (N(0, I)). Free bits needs it,
/// and diagnostics report KL per dimension with it.
/// </summary>
public interface IFactorizedPrior
{
    /// <summary>KL(q_d || p_d) per example and dimension: [N, d].</summary>
    Tensor AnalyticKlPerDimension(DiagonalGaussian q);
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
