using Zoo.Torch.Native;
using N = Zoo.Torch.Native.NativeMethods;

namespace Zoo.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>How a loss reduces over elements (codes of at::Reduction).</summary>
        public enum Reduction { None = 0, Mean = 1, Sum = 2 }

        public static partial class functional
        {
            /// <summary>x W^T + b.</summary>
            public static Tensor linear(Tensor x, Tensor weight, Tensor? bias = null) =>
                linear(x, weight, bias, Activation.Identity);

            /// <summary>
            /// act(x W^T + b) as one fused autograd node for 2-D float32 input (one GEMM and one vectorised pass
            /// forward; two GEMMs, one pass and a column sum backward, and no dX when x needs no gradient);
            /// other shapes and dtypes fall back to libtorch's ops with the same result.
            /// </summary>
            public static Tensor linear(Tensor x, Tensor weight, Tensor? bias, Activation activation)
            {
                var r = N.zt_linear_act(x.Handle, weight.Handle, bias?.Handle ?? IntPtr.Zero, (int)activation.Kind, activation.Parameter);
                GC.KeepAlive(x); GC.KeepAlive(weight); GC.KeepAlive(bias);
                return Tensor.New(r);
            }

            /// <summary>
            /// act(x W^T + b) over the rows x_r = [a[rows[r]] | one-hot(classes[r], k)], k being W's columns beyond a's
            /// (the first layer of a network whose input ends in a one-hot class, scored for several classes per row),
            /// without building x: a's part of the GEMM is taken once per row of a, and class c adds W's column for it.
            /// With <paramref name="rows"/> null, x_r's row of a is row r. Float32 2-D a and W, 1-D int64 rows and classes.
            /// </summary>
            public static Tensor linear_classes(Tensor a, Tensor? rows, Tensor classes, Tensor weight, Tensor? bias, Activation activation)
            {
                var r = N.zt_linear_act_classes(a.Handle, rows?.Handle ?? IntPtr.Zero, classes.Handle, weight.Handle, bias?.Handle ?? IntPtr.Zero,
                    (int)activation.Kind, activation.Parameter);
                GC.KeepAlive(a); GC.KeepAlive(rows); GC.KeepAlive(classes); GC.KeepAlive(weight); GC.KeepAlive(bias);
                return Tensor.New(r);
            }

            public static Tensor relu(Tensor x) => x.relu();
            public static Tensor leaky_relu(Tensor x, double negative_slope = 0.01) => x.leaky_relu(negative_slope);
            public static Tensor elu(Tensor x, double alpha = 1.0) => x.elu(alpha);
            public static Tensor softplus(Tensor x, double beta = 1, double threshold = 20) => x.softplus(beta, threshold);
            public static Tensor tanh(Tensor x) => x.tanh();
            public static Tensor sigmoid(Tensor x) => x.sigmoid();

            public static Tensor log_softmax(Tensor x, long dim) => Tensor.WithScalar(x, dim, (h, d) => N.zt_log_softmax(h, (long)d));
            public static Tensor softmax(Tensor x, long dim) => Tensor.WithScalar(x, dim, (h, d) => N.zt_softmax(h, (long)d));

            /// <summary>One-hot encoding of int64 labels (int64 result; convert with .to(float32)).</summary>
            public static Tensor one_hot(Tensor labels, long num_classes = -1) =>
                Tensor.WithScalar(labels, num_classes, (h, n) => N.zt_one_hot(h, (long)n));

            public static Tensor binary_cross_entropy_with_logits(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean)
            {
                var r = N.zt_bce_with_logits(logits.Handle, target.Handle, (int)reduction);
                GC.KeepAlive(logits); GC.KeepAlive(target);
                return Tensor.New(r);
            }

            public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
            {
                var r = N.zt_mse_loss(input.Handle, target.Handle, (int)reduction);
                GC.KeepAlive(input); GC.KeepAlive(target);
                return Tensor.New(r);
            }

            /// <summary>
            /// Per-row Bernoulli log-likelihood sum_j [t log σ(l) + (1−t) log(1−σ(l))] of float32 logits (batch, ...),
            /// fused into one pass (equal to −BCE-with-logits summed over each row).
            /// </summary>
            public static Tensor bernoulli_log_prob(Tensor logits, Tensor target)
            {
                var r = N.zt_bernoulli_log_prob_rows(logits.Handle, target.Handle);
                GC.KeepAlive(logits); GC.KeepAlive(target);
                return Tensor.New(r);
            }

            /// <summary>
            /// The reparameterised draw mean + exp(logvar / 2) · eps of float32 (rows, d) tensors, fused into one pass
            /// forward and one backward. Mean and log variance may be the halves of one [μ | log σ²] head (views).
            /// </summary>
            public static Tensor gaussian_sample(Tensor mean, Tensor logvar, Tensor eps)
            {
                var r = N.zt_gaussian_sample(mean.Handle, logvar.Handle, eps.Handle);
                GC.KeepAlive(mean); GC.KeepAlive(logvar); GC.KeepAlive(eps);
                return Tensor.New(r);
            }

            /// <summary>
            /// The two halves of a float32 (rows, 2d) [μ | log σ²] head as contiguous (rows, d) tensors, in one node whose
            /// backward writes both halves' gradients into one tensor (two narrow views cost a zero-filled copy of the
            /// head each, then their sum).
            /// </summary>
            public static unsafe (Tensor First, Tensor Second) split_halves(Tensor stats)
            {
                var halves = stackalloc IntPtr[2];
                N.zt_split_halves(stats.Handle, halves);
                GC.KeepAlive(stats);
                TorchException.Check();
                return (Tensor.New(halves[0]), Tensor.New(halves[1]));
            }

            /// <summary>
            /// log N(z; 0, I) of each row of a float32 (rows, d) tensor, −½ (Σ z² + d log 2π): [rows], one pass forward
            /// and one backward.
            /// </summary>
            public static Tensor standard_normal_log_prob(Tensor z)
            {
                var r = N.zt_standard_normal_log_prob(z.Handle);
                GC.KeepAlive(z);
                return Tensor.New(r);
            }

            /// <summary>
            /// KL(q ‖ p) per row between diagonal Gaussians of float32 (rows, d) tensors, ½ Σ (log σp² − log σq² +
            /// (σq² + (μq − μp)²) / σp² − 1), fused into one pass forward and one backward; with p null, KL(q ‖ N(0, I)).
            /// Row r of p is compared with row <paramref name="qRows"/>[r] of q (int64, one for each row of p), or without
            /// it with row r mod (q's rows), p then holding k copies' worth: each row of q meets its Gaussians without
            /// being copied (its gradient sums over them in p's row order, as index_select's backward would).
            /// </summary>
            public static Tensor gaussian_kl(Tensor qMean, Tensor qLogVar, Tensor? pMean = null, Tensor? pLogVar = null, Tensor? qRows = null)
            {
                var r = N.zt_gaussian_kl(qMean.Handle, qLogVar.Handle, pMean?.Handle ?? IntPtr.Zero, pLogVar?.Handle ?? IntPtr.Zero,
                    qRows?.Handle ?? IntPtr.Zero);
                GC.KeepAlive(qMean); GC.KeepAlive(qLogVar); GC.KeepAlive(pMean); GC.KeepAlive(pLogVar); GC.KeepAlive(qRows);
                return Tensor.New(r);
            }

            /// <summary>
            /// The semi-supervised objective with the class summed out where it is unknown (Kingma et al. 2014's M2; the
            /// VFAE's). Bound, per row [N]: labelled row <paramref name="labelledRows"/>[p] scores rec − costs[p]; unlabelled
            /// row <paramref name="unlabelledRows"/>[j] scores rec − Σ_c q(c) costs[L + c·U + j] − Σ_c q(c) log q(c), with
            /// q = exp(<paramref name="logQy"/>) [N, K] and costs [L + K·U] (labelled, then class-major); every row is listed
            /// once. Loss []: −mean(bound) − α · Σ_i labelled_i Σ_c y_ic log q(c) / N, with <paramref name="y"/> [N, K]
            /// one-hot and <paramref name="labelled"/> [N] 0/1 (the classification term on the labelled rows). One node,
            /// with the bits of libtorch's ops composed the same way, forward and in every gradient.
            /// </summary>
            public static unsafe (Tensor Bound, Tensor Loss) semi_supervised_objective(Tensor rec, Tensor costs, Tensor logQy, Tensor y,
                Tensor labelled, long[] labelledRows, long[] unlabelledRows, double alpha)
            {
                var both = stackalloc IntPtr[2];
                fixed (long* li = labelledRows, ui = unlabelledRows)
                    N.zt_semi_supervised_objective(rec.Handle, costs.Handle, logQy.Handle, y.Handle, labelled.Handle, li, labelledRows.Length,
                        ui, unlabelledRows.Length, alpha, both);
                GC.KeepAlive(rec); GC.KeepAlive(costs); GC.KeepAlive(logQy); GC.KeepAlive(y); GC.KeepAlive(labelled);
                TorchException.Check();
                return (Tensor.New(both[0]), Tensor.New(both[1]));
            }
        }
    }
}
