namespace Zoo.Torch.Tests;

/// <summary>
/// bernoulli runs the generator's Mersenne twister in bulk for float32 probabilities; it must draw exactly what libtorch's
/// own bernoulli draws from the same generator state, and leave the generator where libtorch would.
/// </summary>
public class BernoulliTests
{
    [Theory]
    [InlineData(1L, 1L)]
    [InlineData(7L, 13L)]
    [InlineData(100L, 795L)]   // a VFAE batch of packed MNIST rows
    [InlineData(3L, 4097L)]
    [InlineData(1L, 624L)]     // one twist's worth of numbers, then one more than that
    [InlineData(1L, 625L)]
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

    [Theory]
    [InlineData(1.5)]
    [InlineData(-0.25)]
    [InlineData(double.NaN)]
    public void Probabilities_outside_zero_to_one_are_refused_and_leave_the_generator_alone(double bad)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        var before = g.get_state().data<byte>();
        var p = full([5000], 0.5);
        p.narrow(0, 4321, 1).fill_(bad);
        Should.Throw<TorchException>(() => bernoulli(p, g));
        g.get_state().data<byte>().ShouldBe(before);
        bernoulli(full([3], -0.0), g).data<float>().ShouldBe([0f, 0f, 0f]); // −0 is a probability
    }
}
