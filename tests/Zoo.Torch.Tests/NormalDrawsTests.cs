namespace Zoo.Torch.Tests;

/// <summary>
/// randn runs the generator's Mersenne twister in bulk and the Box-Muller blocks over the pair for float32 draws; it
/// must draw exactly what libtorch's own randn draws from the same generator state, and leave the generator where
/// libtorch would. Serial: it switches the pair process-wide.
/// </summary>
[Collection(Serial.Name)]
public class NormalDrawsTests
{
    [Theory]
    [InlineData(new long[] { 5 })]             // under 16: libtorch's other path, kept
    [InlineData(new long[] { 16 })]
    [InlineData(new long[] { 100, 50 })]       // a VFAE batch's z1
    [InlineData(new long[] { 1000, 50 })]      // its z2 draws for every class: over the pair
    [InlineData(new long[] { 7, 13 })]         // 91: the last 16 drawn again
    [InlineData(new long[] { 3, 11, 1001 })]   // 33,033 over the pair, with the last 16 drawn again
    public void Draws_equal_libtorchs_and_leave_the_generator_in_the_same_state(long[] shape) =>
        PairBits.ShouldMatchOneThread(() =>
        {
            using var scope = NewDisposeScope();
            if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported)
                randn_inline.ShouldBeTrue("libtorch's AVX2 draws are what the inline ones are checked against");
            using var a = new Generator(7);
            using var b = new Generator(7);
            for (int round = 0; round < 3; round++)
            {
                var mine = randn(shape, a);
                var theirs = randn_libtorch(shape, b);
                mine.shape.ShouldBe(shape);
                mine.data<float>().ShouldBe(theirs.data<float>(), $"round {round}");
                a.get_state().data<byte>().ShouldBe(b.get_state().data<byte>(), $"generator state after round {round}");
            }
            return [randn(shape, a).data<float>()];
        });
}
