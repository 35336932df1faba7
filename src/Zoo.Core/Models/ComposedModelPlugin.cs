using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Core.Training;

namespace Zoo.Core.Models;

/// <summary>
/// A model composed of a likelihood, a prior, an encoder and a decoder (<see cref="ComposedModelConfig"/>): what such a
/// model asks of its data, decided once for vae, wae-mmd and the rest.
/// </summary>
public abstract class ComposedModelPlugin<TConfig> : ModelPlugin<TConfig> where TConfig : ComposedModelConfig, IZooConfig<TConfig>
{
    /// <summary>binarize=auto thresholds the inputs for a likelihood that wants binary data (Bernoulli) and leaves them otherwise.</summary>
    protected override Binarization AutoBinarization(TConfig config) =>
        config.Likelihood.Bound.WantsBinaryData ? Binarization.Threshold : Binarization.None;

    /// <summary>
    /// The model learns examples; a table arrives as rows packed for the VFAE, with s, y and a labelled flag beside x,
    /// which it would learn as inputs (and leak y into its code). So a table is refused, naming the model that reads it.
    /// </summary>
    protected override TrainingData Prepare(TConfig config, TrainingData data, int seed) => data.Tabular is null ? data
        : throw new ConfigException($"{Name}: {data.Train.Name.Replace("-train", "")} is a table of rows packed with s and y for the vfae; " +
                                    $"train the vfae on it (variant=vae is its plain-VAE baseline), or give the {Name} a .npy/.csv of features");
}
