using System.Globalization;
using Zoo.Torch.Native;
using static Zoo.Torch.torch;

namespace Zoo.Torch.Modules;

/// <summary>
/// Adam (Kingma and Ba), with PyTorch's torch.optim.Adam semantics: bias-corrected moments, L2 weight decay
/// added to the gradient, per-parameter step counts. The update is one fused native pass per parameter.
/// </summary>
public sealed class Adam : IDisposable
{
    private readonly Parameter[] parameters;
    private readonly Tensor[] expAvg;
    private readonly Tensor[] expAvgSq;
    private readonly long[] steps;

    public double lr { get; set; }
    public double beta1 { get; }
    public double beta2 { get; }
    public double eps { get; }
    public double weight_decay { get; }

    public Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                double eps = 1e-8, double weight_decay = 0)
    {
        if (!(lr >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), lr, "Adam: lr must be >= 0");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "Adam: beta1 must be in [0, 1)");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "Adam: beta2 must be in [0, 1)");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "Adam: eps must be >= 0");
        if (!(weight_decay >= 0)) throw new ArgumentOutOfRangeException(nameof(weight_decay), weight_decay, "Adam: weight_decay must be >= 0");
        this.parameters = parameters.ToArray();
        (this.lr, this.beta1, this.beta2, this.eps, this.weight_decay) = (lr, beta1, beta2, eps, weight_decay);
        expAvg = new Tensor[this.parameters.Length];
        expAvgSq = new Tensor[this.parameters.Length];
        steps = new long[this.parameters.Length];
        for (int i = 0; i < this.parameters.Length; i++)
        {
            var p = this.parameters[i];
            if (p.dtype != ScalarType.Float32)
                throw new ArgumentException($"Adam: parameter {i} is {p.dtype}; the fused update supports float32");
            expAvg[i] = zeros(p.shape).DetachFromDisposeScope();
            expAvgSq[i] = zeros(p.shape).DetachFromDisposeScope();
        }
    }

    public IReadOnlyList<Parameter> Parameters => parameters;

    /// <summary>Updates of the first parameter so far (all parameters with gradients move together).</summary>
    public long StepCount => steps.Length > 0 ? steps[0] : 0;

    public void zero_grad(bool set_to_none = true)
    {
        NativeMethods.zt_adam_eager_cancel(); // an eager step begun and never finished (a failed backward) ends here
        foreach (var p in parameters) p.zero_grad(set_to_none);
    }

    /// <summary>
    /// Begins the next <see cref="step"/> early, between the forward pass and backward: each parameter's update may start
    /// on the pair thread (Threading.PairThread) as soon as backward has its gradient, in the pair's idle time between
    /// backward's splits, and <see cref="step"/> finishes the rest on both threads. The same bits as a plain step
    /// (elementwise, each element's arithmetic unchanged). Only for a loop that calls <see cref="step"/> right after
    /// backward, changing no gradient in between (no clipping, no all-reduce). False, changing nothing, where the pair is off.
    /// </summary>
    public unsafe bool BeginEagerStep() => Call((pp, pm, pv, pst, n) =>
        NativeMethods.zt_adam_eager_begin(pp, pm, pv, pst, n, lr, beta1, beta2, eps, weight_decay));

    public unsafe void step() => Call((pp, pm, pv, pst, n) =>
    {
        NativeMethods.zt_adam_step(pp, pm, pv, pst, n, lr, beta1, beta2, eps, weight_decay);
        return true;
    });

    private unsafe delegate bool NativeCall(IntPtr* pp, IntPtr* pm, IntPtr* pv, long* pst, int n);

    /// <summary>Calls the shim with the parameters, both moments and the step counts as native arrays.</summary>
    private unsafe bool Call(NativeCall call)
    {
        var ps = new IntPtr[parameters.Length];
        var ms = new IntPtr[parameters.Length];
        var vs = new IntPtr[parameters.Length];
        for (int i = 0; i < ps.Length; i++)
            (ps[i], ms[i], vs[i]) = (parameters[i].Handle, expAvg[i].Handle, expAvgSq[i].Handle);
        bool result;
        fixed (IntPtr* pp = ps)
        fixed (IntPtr* pm = ms)
        fixed (IntPtr* pv = vs)
        fixed (long* pst = steps)
            result = call(pp, pm, pv, pst, ps.Length);
        GC.KeepAlive(parameters);
        GC.KeepAlive(expAvg);
        GC.KeepAlive(expAvgSq);
        TorchException.Check();
        return result;
    }

    /// <summary>
    /// The optimizer's state: moments as tensors named "exp_avg.i" / "exp_avg_sq.i" (references to the live
    /// state: don't dispose them) and the hyperparameters and step counts as strings.
    /// </summary>
    public (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) state_dict()
    {
        var tensors = new Dictionary<string, Tensor>();
        for (int i = 0; i < parameters.Length; i++)
        {
            tensors[$"exp_avg.{i}"] = expAvg[i];
            tensors[$"exp_avg_sq.{i}"] = expAvgSq[i];
        }
        var meta = new Dictionary<string, string>
        {
            ["optimizer"] = "adam",
            ["lr"] = lr.ToString("R", CultureInfo.InvariantCulture),
            ["beta1"] = beta1.ToString("R", CultureInfo.InvariantCulture),
            ["beta2"] = beta2.ToString("R", CultureInfo.InvariantCulture),
            ["eps"] = eps.ToString("R", CultureInfo.InvariantCulture),
            ["weight_decay"] = weight_decay.ToString("R", CultureInfo.InvariantCulture),
            ["steps"] = string.Join(",", steps),
        };
        return (tensors, meta);
    }

    /// <summary>Restores moments, step counts and lr saved by <see cref="state_dict"/>; checks it fits these parameters.</summary>
    public void load_state_dict(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue("optimizer", out var kind) || kind != "adam")
            throw new InvalidDataException($"optimizer state: expected 'optimizer' = 'adam', found {(kind is null ? "none" : Excerpt.Quote(kind))}");
        var stepText = metadata.TryGetValue("steps", out var st) ? st : throw new InvalidDataException("optimizer state: missing 'steps'");
        var loadedSteps = stepText.Length == 0 ? [] : stepText.Split(',').Select(x =>
            long.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
                : throw new InvalidDataException($"optimizer state: 'steps' {Excerpt.Quote(stepText)} is not a list of step counts")).ToArray();
        if (loadedSteps.Length != parameters.Length)
            throw new InvalidDataException($"optimizer state: saved for {loadedSteps.Length} parameters, this optimizer has {parameters.Length}");
        using var _ = no_grad();
        for (int i = 0; i < parameters.Length; i++)
        {
            foreach (var (name, dst) in new[] { ($"exp_avg.{i}", expAvg[i]), ($"exp_avg_sq.{i}", expAvgSq[i]) })
            {
                if (!tensors.TryGetValue(name, out var src)) throw new InvalidDataException($"optimizer state: missing tensor '{name}'");
                if (!src.shape.SequenceEqual(dst.shape))
                    throw new InvalidDataException($"optimizer state '{name}': expected shape [{string.Join(", ", dst.shape)}], found [{string.Join(", ", src.shape)}]");
                dst.copy_(src);
            }
        }
        loadedSteps.CopyTo(steps, 0);
        if (metadata.TryGetValue("lr", out var lrText))
            lr = double.TryParse(lrText, NumberStyles.Float, CultureInfo.InvariantCulture, out var l) && double.IsFinite(l) ? l
                : throw new InvalidDataException($"optimizer state: 'lr' {Excerpt.Quote(lrText)} is not a finite number");
    }

    public void save(string path) { var (t, m) = state_dict(); SafeTensors.Save(path, t, m); }

    /// <summary>Restores a state saved by <see cref="save"/>; a file that does not fit is named in the error.</summary>
    public void load(string path)
    {
        using var f = SafeTensors.Load(path);
        try { load_state_dict(f.Tensors, f.Metadata); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }

    public void Dispose()
    {
        foreach (var t in expAvg) t.Dispose();
        foreach (var t in expAvgSq) t.Dispose();
    }
}

