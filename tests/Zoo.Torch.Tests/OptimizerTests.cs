namespace Zoo.Torch.Tests;

public class OptimizerTests
{
    /// <summary>Adam against a scalar re-implementation of Kingma and Ba's update (PyTorch's form) in double.</summary>
    [Fact]
    public void Adam_matches_an_independent_reference_update()
    {
        const double lr = 0.05, b1 = 0.8, b2 = 0.99, eps = 1e-6, wd = 0.1;
        double[] p0 = [1.0, -2.0, 0.5];
        var p = new Parameter(tensor(p0.Select(v => (float)v).ToArray()));
        using var adam = optim.Adam([p], lr, b1, b2, eps, wd);
        var rp = (double[])p0.Clone();
        var m = new double[3];
        var v = new double[3];
        for (int t = 1; t <= 6; t++)
        {
            using var scope = NewDisposeScope();
            // loss = Σ c_i p_i² (+ p_i³ to make the gradient non-trivial): grad = 2 c p + 3 p².
            double[] c = [1, 3, -2];
            var ct = tensor(c.Select(x => (float)x).ToArray());
            adam.zero_grad();
            ((ct * p * p).sum() + p.pow(3).sum()).backward();
            adam.step();
            for (int i = 0; i < 3; i++)
            {
                var g = 2 * c[i] * rp[i] + 3 * rp[i] * rp[i] + wd * rp[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                var mhat = m[i] / (1 - Math.Pow(b1, t));
                var vhat = v[i] / (1 - Math.Pow(b2, t));
                rp[i] -= lr * mhat / (Math.Sqrt(vhat) + eps);
            }
            var got = p.data<float>();
            for (int i = 0; i < 3; i++) ((double)got[i]).ShouldBe(rp[i], 1e-5, $"step {t}, element {i}");
        }
        adam.StepCount.ShouldBe(6);
        p.Dispose();
    }

    /// <summary>A parameter large enough that the update is split across libtorch's intra-op threads (chunks of
    /// 32768 elements, the last one partial) still follows the reference update element by element.</summary>
    [Fact]
    public void Adam_split_across_threads_matches_the_reference_update()
    {
        const int n = 100_003;
        const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        var p0 = Enumerable.Range(0, n).Select(i => (float)Math.Sin(i * 0.37)).ToArray();
        var p = new Parameter(tensor(p0));
        using var adam = optim.Adam([p], lr, b1, b2, eps);
        var rp = p0.Select(v => (double)v).ToArray();
        var m = new double[n];
        var v = new double[n];
        for (int t = 1; t <= 3; t++)
        {
            using var scope = NewDisposeScope();
            adam.zero_grad();
            (p * p).sum().backward();  // grad = 2p
            adam.step();
            var got = p.data<float>();
            for (int i = 0; i < n; i++)
            {
                var g = 2 * rp[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                rp[i] -= lr * (m[i] / (1 - Math.Pow(b1, t))) / (Math.Sqrt(v[i] / (1 - Math.Pow(b2, t))) + eps);
                if (Math.Abs(got[i] - rp[i]) > 1e-5) ((double)got[i]).ShouldBe(rp[i], 1e-5, $"step {t}, element {i}");
            }
        }
        p.Dispose();
    }

    [Fact]
    public void Adam_skips_parameters_without_gradients()
    {
        var used = new Parameter(ones(2));
        var unused = new Parameter(ones(2));
        using var adam = optim.Adam([used, unused], lr: 0.1);
        using (NewDisposeScope()) { (used * 3).sum().backward(); }
        adam.step();
        used.data<float>().ShouldAllBe(v => Math.Abs(v - 0.9f) < 1e-5);
        unused.data<float>().ShouldBe([1f, 1f]);
        adam.state_dict().Metadata["steps"].ShouldBe("1,0");
        used.Dispose();
        unused.Dispose();
    }

    [Fact]
    public void Adam_rejects_bad_hyperparameters()
    {
        var p = new Parameter(ones(2));
        Should.Throw<ArgumentOutOfRangeException>(() => optim.Adam([p], lr: -1)).Message.ShouldContain("lr");
        Should.Throw<ArgumentOutOfRangeException>(() => optim.Adam([p], beta1: 1.0)).Message.ShouldContain("beta1");
        p.Dispose();
    }

    /// <summary>Saving model and optimizer after 5 steps and resuming gives bit-identical results to not stopping.</summary>
    [Fact]
    public void Saved_and_restored_optimizer_state_resumes_bit_exactly()
    {
        var dir = Directory.CreateTempSubdirectory("zoo-opt-").FullName;
        try
        {
            float[] Run(int steps, string? saveAt, string? resumeFrom)
            {
                using var g = new Generator(21);
                using var model = nn.MLP([6, 10, 6], Activation.ELU(), generator: g);
                using var adam = optim.Adam(model.parameters(), lr: 0.01, weight_decay: 0.01);
                using var data = randn([8, 6], g).DetachFromDisposeScope();
                if (resumeFrom is not null)
                {
                    model.load(Path.Combine(resumeFrom, "model.safetensors"));
                    adam.load(Path.Combine(resumeFrom, "adam.safetensors"));
                }
                for (int i = 0; i < steps; i++)
                {
                    using var scope = NewDisposeScope();
                    adam.zero_grad();
                    nn.functional.mse_loss(model.forward(data), data).backward();
                    adam.step();
                }
                if (saveAt is not null)
                {
                    model.save(Path.Combine(saveAt, "model.safetensors"));
                    adam.save(Path.Combine(saveAt, "adam.safetensors"));
                }
                return model.parameters().SelectMany(p => p.data<float>()).ToArray();
            }
            var uninterrupted = Run(10, null, null);
            Run(5, dir, null);
            var resumed = Run(5, null, dir);
            resumed.ShouldBe(uninterrupted);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Optimizer_state_for_other_parameters_is_rejected()
    {
        var dir = Directory.CreateTempSubdirectory("zoo-opt-").FullName;
        try
        {
            using var a = nn.MLP([3, 4, 3], Activation.ReLU);
            using var b = nn.MLP([3, 4, 4, 3], Activation.ReLU);
            using var adamA = optim.Adam(a.parameters());
            using var adamB = optim.Adam(b.parameters());
            var path = Path.Combine(dir, "a.safetensors");
            adamA.save(path);
            Should.Throw<InvalidDataException>(() => adamB.load(path)).Message.ShouldContain("saved for 4 parameters, this optimizer has 6");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Clip_grad_norm_returns_the_norm_and_scales_only_when_above()
    {
        var p = new Parameter(zeros(2));
        var q = new Parameter(zeros(1));
        using (NewDisposeScope())
        {
            (p * tensor(new float[] { 3, 0 })).sum().backward();
            (q * tensor(new float[] { 4 })).sum().backward();
        }
        nn.utils.clip_grad_norm_([p, q], 10).ShouldBe(5.0, 1e-6);
        using (NewDisposeScope()) p.grad!.data<float>().ShouldBe([3f, 0]);
        nn.utils.clip_grad_norm_([p, q], 1).ShouldBe(5.0, 1e-6);
        using (NewDisposeScope())
        {
            p.grad!.data<float>()[0].ShouldBe(0.6f, 1e-5f);
            q.grad!.data<float>()[0].ShouldBe(0.8f, 1e-5f);
        }
        p.Dispose();
        q.Dispose();
    }
}
