using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Plugins;

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

/// <summary>Builds the likelihood from its config.</summary>
public interface ILikelihoodPlugin : IPlugin
{
    ILikelihood Create(object config);

    /// <summary>Whether the likelihood is over binary data, so that data sets binarise their inputs by default (binarize=auto).</summary>
    bool WantsBinaryData => false;
}
