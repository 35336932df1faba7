using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Likelihoods.Bernoulli;

/// <summary>
/// p(x|z) = Π_j Bernoulli(x_j; σ(l_j)) on decoder logits l (seeds 003/004): log p = Σ_j [x_j log σ(l_j) + (1−x_j) log(1−σ(l_j))],
/// computed stably from the logits in one fused pass.
/// </summary>
public sealed class BernoulliLikelihood : ILikelihood
{
    public int OutputsPerDimension => 1;
    public Tensor LogProb(Tensor decoderOutput, Tensor x) => nn.functional.bernoulli_log_prob(decoderOutput, x);
    public Tensor Mean(Tensor decoderOutput) => decoderOutput.sigmoid();

    public Tensor Sample(Tensor decoderOutput, Generator generator)
    {
        using var p = decoderOutput.sigmoid();
        return bernoulli(p, generator);
    }
}

[ZooPlugin("bernoulli", Description = "Bernoulli on logits, for binary data (one decoder output per dimension)")]
public sealed partial class BernoulliLikelihoodPlugin : LikelihoodPlugin<NoConfig>
{
    public override bool WantsBinaryData => true;

    protected override ILikelihood Create(NoConfig config) => new BernoulliLikelihood();
}
