using Zoo.Core.Training;


namespace Zoo.Core.Plugins;

/// <summary>
/// What a run asks of its data: the run's seed (for seeded splits), what binarize=auto means for its model
/// (threshold for a VAE with a Bernoulli likelihood, stochastic for the VFAE, none for continuous likelihoods), and
/// whether validation=auto holds out the data set's standard validation split (for a model that selects on it).
/// </summary>
public sealed record DataRequest(int Seed, Data.Binarization Auto, bool StandardValidation = false);

/// <summary>
/// A data source: loads a training and a test split. Sources that read a user's file name the extensions they
/// claim (".npy"), so that `dataset=PATH` picks them with their `path` key set to PATH.
/// </summary>
public interface IDataPlugin : IPlugin
{
    /// <summary>File extensions (with the dot, lower case) this source reads when `dataset=` is given a path.</summary>
    IReadOnlyList<string> FileExtensions => [];

    TrainingData Load(object config, DataRequest request);
}
