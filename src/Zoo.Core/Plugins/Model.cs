using Zoo.Core.Training;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Plugins;

/// <summary>
/// A model family: builds a trainable model from its config (whose parts arrive bound and typed) for the data's
/// shape. A preset is a model plugin whose <see cref="RunDefaults"/> set other defaults (bernoulli-vae is vae on
/// thresholded MNIST).
/// </summary>
public interface IModelPlugin : IPlugin
{
    /// <summary>
    /// key=value defaults this model gives a run before the user's settings: its own keys and parts
    /// (`likelihood=gaussian`), training keys (`epochs=200`) and data (`dataset=credit-g`). A default for a part's
    /// key (`encoder.hidden=100`) applies only while that part is the default one.
    /// </summary>
    IReadOnlyList<KeyValuePair<string, string>> RunDefaults => [];

    /// <summary>What binarize=auto means for this model's data (a Bernoulli VAE: threshold; continuous likelihoods: none).</summary>
    Data.Binarization AutoBinarization(object config) => Data.Binarization.None;

    /// <summary>
    /// Whether the trainer may select this model on a validation split (early stopping, the best checkpoint), so that
    /// validation=auto holds out the data set's standard one; a model that cannot use one (the VFAE's packed rows) says no.
    /// </summary>
    bool SelectsOnValidation => true;

    /// <summary>The data as this model trains on it (the VFAE packs rows with s, y and a labelled flag); by default unchanged.</summary>
    TrainingData Prepare(object config, TrainingData data, int seed) => data;

    /// <summary>The model for <paramref name="data"/>'s input size, with networks initialised from <paramref name="generator"/>.</summary>
    IVaeModel Create(object config, DataShape data, Generator generator);
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

    /// <summary>
    /// Which bound <see cref="ElboTerms.Elbo"/> is, as metrics name it (`elbo`; `iwae_k5` for the importance-weighted
    /// bound with 5 samples): metrics.csv's train_/test_ columns and the epoch lines carry it.
    /// </summary>
    string Bound => EpochMetrics.ElboBound;

    /// <summary>What <see cref="ElboTerms.Kl"/> holds, as epoch lines name it: `KL`, or the WAE's `MMD` penalty.</summary>
    string Penalty => EpochMetrics.KlPenalty;

    /// <summary>q(z|x).</summary>
    DiagonalGaussian Encode(Tensor x);

    /// <summary>E[x | z] under the likelihood.</summary>
    Tensor Decode(Tensor z);

    /// <summary>Draws z from the prior and decodes its mean image: [n, D].</summary>
    Tensor Sample(long n, Generator generator);
}

/// <summary>
/// A batch's objective: <see cref="Loss"/> is a scalar to minimise; the rest are per-example [N]:
/// E_q[log p(x|z)] (<see cref="Reconstruction"/>), KL(q(z|x) || p(z)) and the model's bound on log p(x)
/// (<see cref="IVaeModel.Bound"/>): the ELBO = reconstruction − KL, or a tighter one (the IWAE's).
/// </summary>
public sealed record ElboTerms(Tensor Loss, Tensor Reconstruction, Tensor Kl, Tensor Elbo);
