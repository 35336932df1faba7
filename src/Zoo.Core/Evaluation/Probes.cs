using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Evaluation;

/// <summary>
/// Classifiers fitted to a representation to ask what it still tells about a variable: multinomial logistic
/// regression, or a small MLP (one hidden layer of 32 ReLUs, the non-linear probe). Inputs are standardised with
/// the training rows' statistics; both are fitted full-batch with Adam and a little L2, from a fixed seed.
/// </summary>
public static class Probes
{
    public enum Kind { Logistic, Mlp }

    /// <summary>Fits on (<paramref name="train"/>, <paramref name="trainLabels"/>) and predicts the classes of <paramref name="test"/>.</summary>
    public static long[] FitPredict(Kind kind, Tensor train, long[] trainLabels, Tensor test, int classes, int seed = 0, int steps = 500)
    {
        using var scope = NewDisposeScope();
        // The probe is fitted here whatever the caller's grad mode (training callbacks run under no_grad).
        using var grad = enable_grad();
        using var gen = new Generator((ulong)seed);
        var mean = train.mean(0, keepdim: true);
        var sd = (train - mean).square().mean(0, keepdim: true).sqrt().clamp_min(1e-6);
        var xs = (train - mean) / sd;
        var xt = (test - mean) / sd;
        long d = train.size(1);
        long[] sizes = kind == Kind.Logistic ? [d, classes] : [d, 32, classes];
        using var net = nn.MLP(sizes, Activation.ReLU, generator: gen);
        using var adam = optim.Adam(net.parameters(), lr: 0.01);
        var target = nn.functional.one_hot(tensor(trainLabels), classes).to(float32);
        for (int step = 0; step < steps; step++)
        {
            using var stepScope = NewDisposeScope();
            adam.zero_grad();
            var logp = nn.functional.log_softmax(net.forward(xs), 1);
            var penalty = zeros([]);
            foreach (var p in net.parameters()) penalty = penalty + p.square().sum();
            var loss = -(logp * target).sum(1).mean() + penalty * 1e-4;
            loss.backward();
            adam.step();
        }
        using var _ = no_grad();
        return net.forward(xt).argmax(1).data<long>();
    }

    public static double Accuracy(long[] predicted, long[] truth) =>
        predicted.Zip(truth).Count(p => p.First == p.Second) / (double)truth.Length;

    /// <summary>The share of the most frequent class: what a representation that says nothing about it lets a probe reach.</summary>
    public static double MajorityRate(long[] labels) => labels.GroupBy(l => l).Max(g => g.Count()) / (double)labels.Length;

    /// <summary>
    /// Discrimination of a classifier (Zemel et al. 2013): |P(ŷ = 1 | s = a) − P(ŷ = 1 | s = b)|, the largest over
    /// pairs of groups (the difference for a binary s).
    /// </summary>
    public static double Discrimination(long[] predicted, long[] groups)
    {
        var rates = groups.Distinct().Select(g =>
        {
            var members = Enumerable.Range(0, groups.Length).Where(i => groups[i] == g).ToList();
            return members.Count(i => predicted[i] == 1) / (double)members.Count;
        }).ToList();
        return rates.Count < 2 ? 0 : rates.Max() - rates.Min();
    }
}
