using N = Zoo.Torch.Native.NativeMethods;

namespace Zoo.Torch;

public static partial class torch
{
    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>2-D convolution of x [N, C_in, H, W] with weight [C_out, C_in/groups, kH, kW]; (height, width) pairs.</summary>
            public static unsafe Tensor conv2d(Tensor x, Tensor weight, Tensor? bias = null, (long H, long W)? stride = null,
                (long H, long W)? padding = null, (long H, long W)? dilation = null, long groups = 1)
            {
                long* s = stackalloc long[2], p = stackalloc long[2], d = stackalloc long[2];
                Pair(s, stride ?? (1, 1)); Pair(p, padding ?? (0, 0)); Pair(d, dilation ?? (1, 1));
                var r = N.zt_conv2d(x.Handle, weight.Handle, bias?.Handle ?? IntPtr.Zero, s, p, d, groups);
                GC.KeepAlive(x); GC.KeepAlive(weight); GC.KeepAlive(bias);
                return Tensor.New(r);
            }

            /// <summary>
            /// The transposed convolution (the gradient of conv2d with respect to its input) of x [N, C_in, H, W] with weight
            /// [C_in, C_out/groups, kH, kW]: output size (H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1.
            /// </summary>
            public static unsafe Tensor conv_transpose2d(Tensor x, Tensor weight, Tensor? bias = null, (long H, long W)? stride = null,
                (long H, long W)? padding = null, (long H, long W)? output_padding = null, long groups = 1, (long H, long W)? dilation = null)
            {
                long* s = stackalloc long[2], p = stackalloc long[2], o = stackalloc long[2], d = stackalloc long[2];
                Pair(s, stride ?? (1, 1)); Pair(p, padding ?? (0, 0)); Pair(o, output_padding ?? (0, 0)); Pair(d, dilation ?? (1, 1));
                var r = N.zt_conv_transpose2d(x.Handle, weight.Handle, bias?.Handle ?? IntPtr.Zero, s, p, o, groups, d);
                GC.KeepAlive(x); GC.KeepAlive(weight); GC.KeepAlive(bias);
                return Tensor.New(r);
            }

            /// <summary>
            /// Batch normalisation over the channels of x [N, C, …]: with <paramref name="training"/> by the batch's mean and
            /// (biased) variance, updating the running estimates in place with <paramref name="momentum"/> (the variance's
            /// estimate unbiased); otherwise by the running estimates. Then ·weight + bias per channel.
            /// </summary>
            public static Tensor batch_norm(Tensor x, Tensor? running_mean, Tensor? running_var, Tensor? weight = null, Tensor? bias = null,
                bool training = false, double momentum = 0.1, double eps = 1e-5)
            {
                var r = N.zt_batch_norm(x.Handle, weight?.Handle ?? IntPtr.Zero, bias?.Handle ?? IntPtr.Zero,
                    running_mean?.Handle ?? IntPtr.Zero, running_var?.Handle ?? IntPtr.Zero, training, momentum, eps);
                GC.KeepAlive(x); GC.KeepAlive(weight); GC.KeepAlive(bias); GC.KeepAlive(running_mean); GC.KeepAlive(running_var);
                return Tensor.New(r);
            }

            /// <summary>How <see cref="interpolate"/> fills the new pixels.</summary>
            public enum UpsampleMode { Nearest, Bilinear }

            /// <summary>x [N, C, H, W] resized to <paramref name="size"/> (height, width), nearest or bilinear.</summary>
            public static unsafe Tensor interpolate(Tensor x, (long H, long W) size, UpsampleMode mode = UpsampleMode.Nearest, bool align_corners = false)
            {
                long* s = stackalloc long[2];
                Pair(s, size);
                var r = mode == UpsampleMode.Nearest ? N.zt_upsample_nearest2d(x.Handle, s) : N.zt_upsample_bilinear2d(x.Handle, s, align_corners);
                GC.KeepAlive(x);
                return Tensor.New(r);
            }

            /// <summary>
            /// In training, each element zeroed with probability <paramref name="p"/> and the rest scaled by 1/(1 − p), the mask
            /// drawn from <paramref name="generator"/> (so a seeded run repeats); outside training, x unchanged (a copy).
            /// </summary>
            public static Tensor dropout(Tensor x, double p, bool training, Generator? generator = null)
            {
                if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1)");
                if (!training || p == 0) return x.alias();
                using var keep = full(x.shape, 1 - p, x.dtype);
                using var mask = bernoulli(keep, generator);
                using var scaled = mask / (1 - p);
                return x * scaled;
            }

            private static unsafe void Pair(long* dst, (long H, long W) v) { dst[0] = v.H; dst[1] = v.W; }
        }
    }
}
