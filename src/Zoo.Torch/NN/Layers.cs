using static Zoo.Torch.torch;

namespace Zoo.Torch.Modules;

/// <summary>
/// y = act(x W^T + b) with PyTorch's default initialisation (kaiming_uniform(a=√5) on W, which is
/// U(±1/√in), and U(±1/√in) on b). With an activation the layer runs as one fused autograd node.
/// </summary>
public sealed class Linear : torch.nn.Module<torch.Tensor, torch.Tensor>
{
    public Parameter weight { get; }
    public Parameter? bias { get; }
    public Activation Activation { get; }
    public long InFeatures { get; }
    public long OutFeatures { get; }

    public Linear(long inFeatures, long outFeatures, bool hasBias = true, Activation? activation = null, Generator? generator = null)
        : base("Linear")
    {
        if (inFeatures < 1 || outFeatures < 1)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear({inFeatures}, {outFeatures}): sizes must be positive");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Activation = activation ?? Activation.Identity;
        var bound = 1.0 / Math.Sqrt(inFeatures);
        weight = register_parameter("weight", Init.Uniform([outFeatures, inFeatures], bound, generator));
        if (hasBias) bias = register_parameter("bias", Init.Uniform([outFeatures], bound, generator));
    }

    public override Tensor forward(Tensor x) => nn.functional.linear(x, weight, bias, Activation);

    /// <summary>
    /// This layer over the rows [a[rows[r]] | one-hot(classes[r], k)] without building them (see
    /// <see cref="nn.functional.linear_classes"/>): the weight's last k columns are the class's.
    /// </summary>
    public Tensor forward(Tensor a, Tensor? rows, Tensor classes) => nn.functional.linear_classes(a, rows, classes, weight, bias, Activation);

    public override string ToString() => $"Linear({InFeatures} → {OutFeatures}{(Activation.Kind == ActivationKind.Identity ? "" : ", " + Activation)})";
}

/// <summary>An activation as a module, for Sequential.</summary>
public sealed class ActivationLayer(Activation activation) : torch.nn.Module<torch.Tensor, torch.Tensor>(activation.ToString())
{
    public Activation Activation { get; } = activation;
    public override Tensor forward(Tensor x) => Activation.Apply(x);
}

/// <summary>Runs its modules in order; submodules are named "0", "1", ... as in PyTorch.</summary>
public sealed class Sequential : torch.nn.Module<torch.Tensor, torch.Tensor>
{
    private readonly List<torch.nn.Module<torch.Tensor, torch.Tensor>> layers = [];

    public Sequential(params torch.nn.Module<torch.Tensor, torch.Tensor>[] modules) : base("Sequential")
    {
        for (int i = 0; i < modules.Length; i++) layers.Add(register_module(i.ToString(), modules[i]));
    }

    public int Count => layers.Count;
    public torch.nn.Module<torch.Tensor, torch.Tensor> this[int i] => layers[i];

    public override Tensor forward(Tensor x) => ForwardFrom(0, x);

    /// <summary>The layers from <paramref name="first"/> on, over <paramref name="x"/> (a first layer run another way, then the rest).</summary>
    public Tensor ForwardFrom(int first, Tensor x)
    {
        if (first >= layers.Count) return x.alias();
        // Intermediates are freed as soon as the next layer has consumed them (autograd keeps what it needs).
        var h = layers[first].forward(x);
        for (int i = first + 1; i < layers.Count; i++)
        {
            var next = layers[i].forward(h);
            h.Dispose();
            h = next;
        }
        return h;
    }
}


