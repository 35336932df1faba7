namespace Zoo.Torch.Tests;

public class MetaAllocationTests
{
    [Fact]
    public void A_huge_MLP_steps_on_the_meta_device_counting_the_bytes_it_would_hold_and_allocating_none()
    {
        long[] widths = [784, 65536, 65536, 784];
        using (MetaAllocation())
        {
            using var scope = NewDisposeScope();
            using var g = new Generator(0);
            var (start, _) = MetaMemory;
            var model = nn.MLP(widths, Activation.Softplus, generator: g);
            long parameters = model.parameters().Sum(p => p.nbytes());
            // 784·65536 + 65536 + 65536² + 65536 + 65536·784 + 784 floats: 17.6 GB, were they real.
            parameters.ShouldBe(4L * (784 * 65536 + 65536 + 65536L * 65536 + 65536 + 65536 * 784 + 784));
            model.parameters().ShouldAllBe(p => p.is_meta);
            (MetaMemory.Current - start).ShouldBe(parameters);

            ResetMetaPeak();
            var before = MetaMemory.Current;
            var x = randn([1000, 784], g);
            var loss = -nn.functional.bernoulli_log_prob(model.forward(x), rand([1000, 784], g)).mean();
            loss.is_meta.ShouldBeTrue();
            Should.Throw<TorchException>(() => loss.item<double>());
            loss.backward();
            long gradients = model.parameters().Sum(p => { using var grad = p.grad!; return grad.nbytes(); });
            gradients.ShouldBe(parameters);
            // Inputs, two hidden layers of 1000 × 65536 floats (262 MB each) saved for backward, the output and the
            // gradients: the peak holds at least those.
            (MetaMemory.Peak - before).ShouldBeGreaterThan(gradients + 2 * 4L * 1000 * 65536);
            model.Dispose();
        }
        is_meta_allocation().ShouldBeFalse();
        using var real = zeros(3);
        real.is_meta.ShouldBeFalse();
        real.nbytes().ShouldBe(12);
    }

    [Fact]
    public void Ops_without_a_meta_kernel_in_libtorch_have_stand_ins_with_the_right_shapes()
    {
        using var _ = MetaAllocation();
        using var scope = NewDisposeScope();
        var a = randn([4, 5]).requires_grad_();
        a.abs().shape.ShouldBe([4, 5]);
        nn.functional.relu(a).shape.ShouldBe([4, 5]);
        a.logsumexp(1).shape.ShouldBe([4]);
        a.clamp_min(0).shape.ShouldBe([4, 5]);
        a.index_select(0, tensor(new long[] { 0, 2, 3 })).shape.ShouldBe([3, 5]);
        nn.functional.one_hot(zeros([6], int64), 3).shape.ShouldBe([6, 3]);
        where(a.gt(0), a, a * 2).shape.ShouldBe([4, 5]);
        randperm(7).shape.ShouldBe([7]);
        (a.abs().sum() + a.logsumexp(1).sum() + where(a.gt(0), a, a * 2).sum()).backward();
        using var grad = a.grad!;
        grad.shape.ShouldBe([4, 5]);
    }
}
