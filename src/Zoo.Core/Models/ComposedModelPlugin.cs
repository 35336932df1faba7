using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Core.Training;

namespace Zoo.Core.Models;

/// <summary>
/// A model plugin composed of a likelihood, a prior, an encoder and a decoder (vae, iwae, …): the rules such models
/// share about their data, given once.
/// </summary>
public abstract class ComposedModelPlugin<TConfig> : ModelPlugin<TConfig> where TConfig : ComposedModelConfig, IZooConfig<TConfig>
{
    /// <summary>A likelihood over binary data (Bernoulli) gets thresholded images; any other gets them as they are.</summary>
    protected override Binarization AutoBinarization(TConfig config) =>
        config.Likelihood.Bound.WantsBinaryData ? Binarization.Threshold : Binarization.None;

    /// <summary>
    /// These models model examples; a table arrives as rows packed for the VFAE, with s, y and a labelled flag beside x,
    /// which they would learn as inputs (and leak y into the code). So a table is refused, naming the model that reads it.
    /// </summary>
    protected override TrainingData Prepare(TConfig config, TrainingData data, int seed) => data.Tabular is null ? data
        : throw new ConfigException($"{Name}: {data.Train.Name.Replace("-train", "")} is a table of rows packed with s and y for the vfae; " +
                                    "train the vfae on it (variant=vae is its plain-VAE baseline), or give the vae a .npy/.csv of features");
}
