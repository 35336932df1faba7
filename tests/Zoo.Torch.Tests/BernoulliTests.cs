namespace Zoo.Torch.Tests;

/// <summary>
/// bernoulli runs the generator's Mersenne twister inline for float32 probabilities; it must draw exactly what libtorch's
/// own bernoulli draws from the same generator state, and leave the generator where libtorch would.
/// </summary>
public class BernoulliTests
{
    [Theory]
    [InlineData(1L, 1L)]
    [InlineData(7L, 13L)]
    [InlineData(100L, 795L)]   // a VFAE batch of packed MNIST rows
    [InlineData(3L, 4097L)]
    public void Inline_draws_equal_libtorchs_and_leave_the_generator_in_the_same_state(long rows, long cols)
    {
        using var scope = NewDisposeScope();
        using var seed = new Generator(42);
        var p = rand([rows, cols], seed);
        p.narrow(0, 0, 1).fill_(0.0);                 // a row of certain zeros ...
        if (rows > 1) p.narrow(0, 1, 1).fill_(1.0);   // ... and one of certain ones
        using var a = new Generator(7);
        using var b = new Generator(7);
        for (int round = 0; round < 3; round++)
        {
            var mine = bernoulli(p, a);
            var theirs = bernoulli_libtorch(p, b);
            mine.data<float>().ShouldBe(theirs.data<float>(), $"round {round}");
            a.get_state().data<byte>().ShouldBe(b.get_state().data<byte>(), $"generator state after round {round}");
        }
        randn([5], a).data<float>().ShouldBe(randn([5], b).data<float>()); // the streams go on alike
    }

    [Fact]
    public void Probabilities_outside_zero_to_one_are_refused()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        Should.Throw<TorchException>(() => bernoulli(full([3], 1.5), g));
    }
}
