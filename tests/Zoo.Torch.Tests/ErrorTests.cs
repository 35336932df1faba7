namespace Zoo.Torch.Tests;

/// <summary>Mistakes give typed exceptions with useful messages, and the process survives them.</summary>
public class ErrorTests
{
    [Fact]
    public void Shape_mismatch_in_matmul_is_a_TorchException_naming_both_shapes()
    {
        using var scope = NewDisposeScope();
        var e = Should.Throw<TorchException>(() => ones(2, 3).matmul(ones(4, 5)));
        e.Message.ShouldContain("2x3");
        e.Message.ShouldContain("4x5");
        // The error slot was cleared: the next call works.
        ones(2, 3).matmul(ones(3, 1)).shape.ShouldBe([2L, 1L]);
    }

    [Fact]
    public void Fused_linear_reports_feature_mismatch_with_shapes()
    {
        using var scope = NewDisposeScope();
        using var layer = nn.Linear(5, 2);
        var e = Should.Throw<TorchException>(() => layer.forward(ones(3, 4)));
        e.Message.ShouldContain("4 features");
        e.Message.ShouldContain("expects 5");
    }

    [Fact]
    public void Wrong_dtype_is_reported()
    {
        using var scope = NewDisposeScope();
        Should.Throw<TorchException>(() => ones(3).index_select(0, ones(2))).Message.ShouldContain("int64");
        Should.Throw<TorchException>(() => ones(3).data<long>()).Message.ShouldContain("Float32");
        Should.Throw<TorchException>(() => nn.functional.bernoulli_log_prob(ones([2, 2], float64), ones([2, 2], float64)))
            .Message.ShouldContain("float32");
        Should.Throw<TorchException>(() => ones(2).add(ones(3)));
    }

    [Fact]
    public void Use_after_dispose_is_an_ObjectDisposedException()
    {
        var t = ones(3);
        t.Dispose();
        Should.Throw<ObjectDisposedException>(() => t.sum()).Message.ShouldContain("used after it was disposed");
        Should.Throw<ObjectDisposedException>(() => t.shape);
        t.Dispose(); // twice is harmless
        Tensor inScope;
        using (NewDisposeScope()) inScope = ones(2);
        Should.Throw<ObjectDisposedException>(() => inScope.exp());
    }

    [Fact]
    public void Backward_twice_without_retain_graph_is_a_TorchException()
    {
        using var scope = NewDisposeScope();
        var w = ones([2], requires_grad: true);
        var y = (w.exp() * w).sum();
        y.backward(retain_graph: true);
        y.backward();
        Should.Throw<TorchException>(() => y.backward()).Message.ShouldContain("backward through the graph a second time");
    }

    [Fact]
    public void Errors_on_many_threads_stay_on_their_thread()
    {
        Parallel.For(0, 64, i =>
        {
            using var scope = NewDisposeScope();
            if (i % 2 == 0) Should.Throw<TorchException>(() => ones(2, 3).matmul(ones(2, 3)));
            else ones(2, 3).matmul(ones(3, 2)).sum().item<float>().ShouldBe(12f);
        });
    }

    [Fact]
    public void Activation_parse_rejects_unknown_names_with_the_choices()
    {
        Activation.Parse("leaky_relu:0.2").ShouldBe(Activation.LeakyReLU(0.2));
        Activation.Parse("Softplus").ShouldBe(Activation.Softplus);
        Should.Throw<FormatException>(() => Activation.Parse("swish")).Message.ShouldContain("softplus");
        Should.Throw<FormatException>(() => Activation.Parse("elu:x")).Message.ShouldContain("not a finite number");
        Should.Throw<FormatException>(() => Activation.Parse("leaky_relu:NaN")).Message.ShouldContain("not a finite number");
        Should.Throw<FormatException>(() => Activation.Parse("elu:inf")).Message.ShouldContain("not a finite number");
    }
}
