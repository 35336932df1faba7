using Zoo.Torch.Modules;
using F = Zoo.Torch.torch.nn.functional;

namespace Zoo.Torch.Tests;

/// <summary>
/// The convolutional networks' ops (native/conv.cpp): gradients against finite differences (float64), values against
/// PyTorch 1.13 on the same inputs (printed by the script in each test's comment), the transposed convolution as the
/// adjoint of the convolution, batch norm's running estimates, saving them, and dropout's train/eval behaviour.
/// </summary>
public class ConvolutionTests
{
    private static Tensor U(double lo, double hi, params long[] shape) => GradientCheck.Uniform(shape, lo, hi, (ulong)shape.Sum() + 5);

    // x = (arange(18).reshape(1,2,3,3) − 8)/10, in float64
    private static Tensor X() { using var a = arange(0, 18, 1, float64); using var b = a - 8; using var c = b / 10; return c.reshape(1, 2, 3, 3); }

    private static void ShouldEqual(Tensor t, double[] expected, double tolerance = 1e-6)
    {
        var got = t.to(float64).data<double>();
        got.Length.ShouldBe(expected.Length);
        for (int i = 0; i < got.Length; i++) got[i].ShouldBe(expected[i], tolerance, $"element {i}");
    }

    [Fact]
    public void Conv2d_with_padding_matches_pytorch()
    {
        // w = (arange(16).reshape(2,2,2,2) − 7)/8, b = [0.5, −0.25]; F.conv2d(x, w, b, stride=1, padding=1)
        using var x = X();
        using var w0 = arange(0, 16, 1, float64); using var w1 = w0 - 7; using var w2 = w1 / 8; using var w = w2.reshape(2, 2, 2, 2);
        using var b = tensor(new[] { 0.5, -0.25 }, [2]);
        using var y = F.conv2d(x, w, b, padding: (1, 1));
        y.shape.ShouldBe([1L, 2, 4, 4]);
        ShouldEqual(y, [0.9, 1.3375, 1.2125, 0.8375, 1.325, 2.1, 1.75, 1.025, 0.875, 1.05, 0.7, 0.425, 0.475, 0.2875, 0.0625, 0.1625,
                        -0.55, -0.6125, -0.3375, -0.2125, -0.225, 0.15, 0.6, 0.275, 0.525, 1.5, 1.95, 0.875, 0.225, 0.7375, 0.9125, 0.3125]);
    }

    [Fact]
    public void Conv_transpose2d_with_stride_and_output_padding_matches_pytorch()
    {
        // wt = (arange(54).reshape(2,3,3,3) − 26)/20, bt = [0.1, 0, −0.1]; F.conv_transpose2d(x, wt, bt, stride=2, padding=1, output_padding=1)
        using var x = X();
        using var a = arange(0, 54, 1, float64); using var a1 = a - 26; using var a2 = a1 / 20; using var w = a2.reshape(2, 3, 3, 3);
        using var b = tensor(new[] { 0.1, 0.0, -0.1 }, [3]);
        using var y = F.conv_transpose2d(x, w, b, stride: (2, 2), padding: (1, 1), output_padding: (1, 1));
        y.shape.ShouldBe([1L, 3, 6, 6]);
        var got = y.data<double>();
        int[] at = [0, 1, 7, 35, 36, 71, 72, 107];
        double[] pytorch = [1.005, 1.815, 2.84, 0.505, 0.59, 0.81, 0.175, 1.115];
        for (int i = 0; i < at.Length; i++) got[at[i]].ShouldBe(pytorch[i], 1e-9, $"element {at[i]}");
    }

    [Fact]
    public void The_transposed_convolution_is_the_adjoint_of_the_convolution()
    {
        // ⟨conv(x), y⟩ = ⟨x, convᵀ(y)⟩ for the same weight, stride and padding: an identity independent of any library.
        using var x = U(-1, 1, 2, 3, 7, 7);
        using var w = U(-1, 1, 4, 3, 3, 3);
        using var cx = F.conv2d(x, w, stride: (2, 2), padding: (1, 1));
        using var y = U(-1, 1, cx.shape);
        using var ty = F.conv_transpose2d(y, w, stride: (2, 2), padding: (1, 1));
        ty.shape.ShouldBe(x.shape);
        using var left = (cx * y).sum();
        using var right = (x * ty).sum();
        left.item<double>().ShouldBe(right.item<double>(), 1e-10);
    }

    [Fact]
    public void Convolution_gradients_match_finite_differences()
    {
        using var x = U(-1, 1, 2, 2, 5, 5);
        using var w = U(-1, 1, 3, 2, 3, 3);
        using var b = U(-1, 1, 3);
        GradientCheck.Check(a => F.conv2d(a[0], a[1], a[2], stride: (2, 1), padding: (1, 0)), x.detach(), w.detach(), b.detach());
        using var wt = U(-1, 1, 2, 3, 3, 3);
        GradientCheck.Check(a => F.conv_transpose2d(a[0], a[1], a[2], stride: (2, 2), padding: (1, 1), output_padding: (1, 1)),
            x.detach(), wt.detach(), b.detach());
    }

    [Fact]
    public void Batch_norm_normalises_by_the_batch_updates_its_running_estimates_and_matches_pytorch()
    {
        using var x = tensor(new[] { 1.0, 2, 3, 4, 0, 0.5, 1, -1, 2, 0, 1, 1, 3, 3, -2, 0 }, [2, 2, 2, 2]);
        using var weight = tensor(new[] { 1.5, 0.5 }, [2]);
        using var bias = tensor(new[] { 0.1, -0.2 }, [2]);
        using var mean = zeros([2], float64);
        using var variance = ones([2], float64);
        using var y = F.batch_norm(x, mean, variance, weight, bias, training: true, momentum: 0.1);
        ShouldEqual(y, [-0.838312, 0.412771, 1.663853, 2.914935, -0.370694, -0.218966, -0.067238, -0.674151,
                        0.412771, -2.089394, -0.838312, -0.838312, 0.539676, 0.539676, -0.977608, -0.370694]);
        // running = 0.9·running + 0.1·batch, the variance's estimate unbiased (n = 8 per channel)
        ShouldEqual(mean, [0.175, 0.05625]);
        ShouldEqual(variance, [1.064286, 1.210268]);
        using var eval = F.batch_norm(x, mean, variance, weight, bias, training: false);
        ShouldEqual(eval, [1.299538, 2.753524, 4.207509, 5.661495, -0.225565, 0.001681, 0.228928, -0.680059,
                           2.753524, -0.154447, 1.299538, 1.299538, 1.137915, 1.137915, -1.134552, -0.225565]);
        GradientCheck.Check(a => F.batch_norm(a[0], null, null, a[1], a[2], training: true), U(-1, 1, 3, 2, 2, 2), weight.detach(), bias.detach());
    }

    [Fact]
    public void Upsampling_matches_pytorch_and_has_gradients()
    {
        using var x = tensor(new[] { 1.0, 2, 3, 5 }, [1, 1, 2, 2]);
        using var nearest = F.interpolate(x, (4, 4));
        ShouldEqual(nearest, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 5, 5, 3, 3, 5, 5]);
        using var bilinear = F.interpolate(x, (4, 4), F.UpsampleMode.Bilinear);
        ShouldEqual(bilinear, [1, 1.25, 1.75, 2, 1.5, 1.8125, 2.4375, 2.75, 2.5, 2.9375, 3.8125, 4.25, 3, 3.5, 4.5, 5]);
        GradientCheck.Check(a => F.interpolate(a[0], (5, 3), F.UpsampleMode.Bilinear), U(-1, 1, 2, 1, 3, 2));
    }

    [Fact]
    public void Batch_norm_running_estimates_are_saved_and_loaded_with_the_parameters()
    {
        var path = Path.Combine(Path.GetTempPath(), $"zoo-bn-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var bn = new BatchNorm2d(3);
            using (var x = U(0, 4, 8, 3, 2, 2).to(float32)) bn.forward(x).Dispose();
            bn.state_dict().Keys.ShouldBe(["weight", "bias", "running_mean", "running_var"]);
            bn.parameters().Count.ShouldBe(2); // the running estimates are not trained
            bn.save(path);
            using var other = new BatchNorm2d(3);
            other.load(path);
            other.running_mean.allclose(bn.running_mean).ShouldBeTrue();
            other.running_var.allclose(bn.running_var).ShouldBeTrue();
            using var moved = bn.running_mean.abs().sum();
            moved.item<float>().ShouldBeGreaterThan(0.1f);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Dropout_zeroes_about_p_rescales_the_rest_repeats_with_its_seed_and_is_the_identity_in_eval()
    {
        using var x = ones([200, 100]);
        using var g1 = new Generator(5);
        using var drop = new Dropout(0.3, g1);
        using var y = drop.forward(x);
        var v = y.data<float>();
        ((double)v.Count(e => e == 0) / v.Length).ShouldBe(0.3, 0.02);
        v.Where(e => e != 0).ShouldAllBe(e => Math.Abs(e - 1 / 0.7f) < 1e-6);
        using var g2 = new Generator(5);
        using var again = F.dropout(x, 0.3, training: true, g2);
        again.allclose(y).ShouldBeTrue();
        drop.eval();
        using var same = drop.forward(x);
        same.allclose(x).ShouldBeTrue();
    }

    [Fact]
    public void Layers_give_the_shapes_of_an_encoder_and_its_mirror()
    {
        using var g = new Generator(1);
        using var conv = new Conv2d(1, 8, kernel: 4, stride: 2, padding: 1, generator: g);     // 28 → 14
        using var deconv = new ConvTranspose2d(8, 1, kernel: 4, stride: 2, padding: 1, generator: g); // 14 → 28
        using var x = rand([5, 1, 28, 28], g);
        using var h = conv.forward(x);
        h.shape.ShouldBe([5L, 8, 14, 14]);
        using var back = deconv.forward(h);
        back.shape.ShouldBe([5L, 1, 28, 28]);
        // PyTorch's initialisation bound 1/√fan_in: fan_in = 1·4·4 for the convolution, 1·4·4 for the transposed one (C_out·k·k)
        using var wmax = conv.weight.abs().max();
        wmax.item<float>().ShouldBeLessThanOrEqualTo(0.25f);
        Should.Throw<ArgumentOutOfRangeException>(() => new ConvTranspose2d(8, 1, kernel: 4, stride: 2, outputPadding: 2));
    }
}
