using Zoo.Torch.Native;
using N = Zoo.Torch.Native.NativeMethods;

namespace Zoo.Torch;

// Tensor operations, with TorchSharp's names (snake_case, as in PyTorch). Every result is a new tensor that
// joins the current dispose scope; in-place methods end in an underscore and return this.
public static unsafe partial class torch
{
    public partial class Tensor
    {
        // ------------------------------------------------------------------ shape
        public Tensor reshape(params long[] shape)
        {
            fixed (long* p = shape) { var r = N.zt_reshape(Handle, p, shape.Length); GC.KeepAlive(this); return New(r); }
        }

        public Tensor view(params long[] shape) => reshape(shape);
        public Tensor flatten(long start_dim = 1)
        {
            var s = shape;
            if (start_dim < 0) start_dim += s.Length;
            var keep = s.Take((int)start_dim).Append(-1L).ToArray();
            return reshape(keep);
        }

        public Tensor[] chunk(long chunks, long dim = 0)
        {
            var outs = new IntPtr[Math.Max(chunks, 1)];
            int n;
            fixed (IntPtr* p = outs) n = N.zt_chunk(Handle, chunks, dim, p, outs.Length);
            GC.KeepAlive(this);
            TorchException.Check();
            var result = new Tensor[n];
            for (int i = 0; i < n; i++) result[i] = new Tensor(outs[i]);
            return result;
        }

        public Tensor narrow(long dim, long start, long length) { var r = N.zt_narrow(Handle, dim, start, length); GC.KeepAlive(this); return New(r); }
        public Tensor index_select(long dim, Tensor index) { var r = N.zt_index_select(Handle, dim, index.Handle); GC.KeepAlive(this); GC.KeepAlive(index); return New(r); }
        public Tensor gather(long dim, Tensor index) { var r = N.zt_gather(Handle, dim, index.Handle); GC.KeepAlive(this); GC.KeepAlive(index); return New(r); }
        public Tensor transpose(long dim0, long dim1) { var r = N.zt_transpose(Handle, dim0, dim1); GC.KeepAlive(this); return New(r); }
        public Tensor t() => transpose(0, 1);
        public Tensor T => t();
        public Tensor unsqueeze(long dim) { var r = N.zt_unsqueeze(Handle, dim); GC.KeepAlive(this); return New(r); }
        public Tensor squeeze(long dim) { var r = N.zt_squeeze(Handle, dim); GC.KeepAlive(this); return New(r); }
        public Tensor expand(params long[] size)
        {
            fixed (long* p = size) { var r = N.zt_expand(Handle, p, size.Length); GC.KeepAlive(this); return New(r); }
        }
        public Tensor contiguous() => Unary(this, N.zt_contiguous);
        public Tensor clone() => Unary(this, N.zt_clone);
        public Tensor to(ScalarType dtype) { var r = N.zt_to_dtype(Handle, (int)dtype); GC.KeepAlive(this); return New(r); }
        public Tensor to_type(ScalarType dtype) => to(dtype);

        // ------------------------------------------------------------------ arithmetic
        public Tensor add(Tensor other, double alpha = 1) { var r = N.zt_add(Handle, other.Handle, alpha); GC.KeepAlive(this); GC.KeepAlive(other); return New(r); }
        public Tensor sub(Tensor other, double alpha = 1) { var r = N.zt_sub(Handle, other.Handle, alpha); GC.KeepAlive(this); GC.KeepAlive(other); return New(r); }
        public Tensor mul(Tensor other) => Binary(this, other, N.zt_mul);
        public Tensor div(Tensor other) => Binary(this, other, N.zt_div);
        public Tensor add(double s) => WithScalar(this, s, N.zt_add_scalar);
        public Tensor sub(double s) => WithScalar(this, -s, N.zt_add_scalar);
        public Tensor mul(double s) => WithScalar(this, s, N.zt_mul_scalar);
        public Tensor div(double s) => WithScalar(this, s, N.zt_div_scalar);
        public Tensor neg() => Unary(this, N.zt_neg);
        public Tensor pow(double exponent) => WithScalar(this, exponent, N.zt_pow_scalar);
        public Tensor pow(Tensor exponent) => Binary(this, exponent, N.zt_pow);

        public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
        public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
        public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
        public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
        public static Tensor operator +(Tensor a, double s) => a.add(s);
        public static Tensor operator +(double s, Tensor a) => a.add(s);
        public static Tensor operator -(Tensor a, double s) => a.sub(s);
        public static Tensor operator -(double s, Tensor a) => WithScalar(a, s, N.zt_rsub_scalar);
        public static Tensor operator *(Tensor a, double s) => a.mul(s);
        public static Tensor operator *(double s, Tensor a) => a.mul(s);
        public static Tensor operator /(Tensor a, double s) => a.div(s);
        public static Tensor operator /(double s, Tensor a) => WithScalar(a, s, N.zt_rdiv_scalar);
        public static Tensor operator -(Tensor a) => a.neg();

        // In place (no autograd history of their own: for optimizers, initialisers and no_grad code).
        public Tensor add_(Tensor other, double alpha = 1) { N.zt_add_(Handle, other.Handle, alpha); GC.KeepAlive(other); GC.KeepAlive(this); TorchException.Check(); return this; }
        public Tensor mul_(double s) { InPlace(this, h => N.zt_mul_scalar_(h, s)); return this; }
        public Tensor copy_(Tensor src) { N.zt_copy_(Handle, src.Handle); GC.KeepAlive(src); GC.KeepAlive(this); TorchException.Check(); return this; }
        public Tensor fill_(double value) { InPlace(this, h => N.zt_fill_(h, value)); return this; }
        public Tensor zero_() { InPlace(this, N.zt_zero_); return this; }
        public Tensor uniform_(double from = 0, double to = 1, Generator? generator = null)
        {
            N.zt_uniform_(Handle, from, to, generator?.Handle ?? IntPtr.Zero);
            GC.KeepAlive(this); GC.KeepAlive(generator); TorchException.Check();
            return this;
        }
        public Tensor normal_(double mean = 0, double std = 1, Generator? generator = null)
        {
            N.zt_normal_(Handle, mean, std, generator?.Handle ?? IntPtr.Zero);
            GC.KeepAlive(this); GC.KeepAlive(generator); TorchException.Check();
            return this;
        }

        // ------------------------------------------------------------------ elementwise functions
        public Tensor exp() => Unary(this, N.zt_exp);
        public Tensor log() => Unary(this, N.zt_log);
        public Tensor log1p() => Unary(this, N.zt_log1p);
        public Tensor sqrt() => Unary(this, N.zt_sqrt);
        public Tensor abs() => Unary(this, N.zt_abs);
        public Tensor square() => Unary(this, N.zt_square);
        public Tensor relu() => Unary(this, N.zt_relu);
        public Tensor tanh() => Unary(this, N.zt_tanh);
        public Tensor cos() => Unary(this, N.zt_cos);
        public Tensor sigmoid() => Unary(this, N.zt_sigmoid);
        public Tensor logical_not() => Unary(this, N.zt_logical_not);
        public Tensor leaky_relu(double negative_slope = 0.01) => WithScalar(this, negative_slope, N.zt_leaky_relu);
        public Tensor elu(double alpha = 1.0) => WithScalar(this, alpha, N.zt_elu);
        public Tensor softplus(double beta = 1, double threshold = 20) { var r = N.zt_softplus(Handle, beta, threshold); GC.KeepAlive(this); return New(r); }
        public Tensor clamp(double? min = null, double? max = null)
        {
            var r = N.zt_clamp(Handle, min ?? 0, max ?? 0, min.HasValue, max.HasValue);
            GC.KeepAlive(this);
            return New(r);
        }
        public Tensor clamp_min(double min) => clamp(min: min);
        public Tensor clamp_max(double max) => clamp(max: max);

        // ------------------------------------------------------------------ reductions
        public Tensor sum() => Unary(this, N.zt_sum);
        public Tensor sum(long dim, bool keepdim = false) => sum([dim], keepdim);
        public Tensor sum(long[] dims, bool keepdim = false)
        {
            fixed (long* p = dims) { var r = N.zt_sum_dims(Handle, p, dims.Length, keepdim); GC.KeepAlive(this); return New(r); }
        }
        public Tensor mean() => Unary(this, N.zt_mean);
        public Tensor mean(long dim, bool keepdim = false) => mean([dim], keepdim);
        public Tensor mean(long[] dims, bool keepdim = false)
        {
            fixed (long* p = dims) { var r = N.zt_mean_dims(Handle, p, dims.Length, keepdim); GC.KeepAlive(this); return New(r); }
        }
        public Tensor logsumexp(long dim, bool keepdim = false)
        {
            long d = dim;
            var r = N.zt_logsumexp(Handle, &d, 1, keepdim);
            GC.KeepAlive(this);
            return New(r);
        }
        public Tensor max() => Unary(this, N.zt_max);
        public Tensor min() => Unary(this, N.zt_min);

        /// <summary>Maximum along a dimension: values and their indices (int64).</summary>
        public (Tensor values, Tensor indexes) max(long dim, bool keepdim = false)
        {
            IntPtr idx;
            var v = N.zt_max_dim(Handle, dim, keepdim, &idx);
            GC.KeepAlive(this);
            var values = New(v);
            return (values, new Tensor(idx));
        }
        public Tensor argmax() => Unary(this, N.zt_argmax_all);
        public Tensor argmax(long dim, bool keepdim = false) { var r = N.zt_argmax(Handle, dim, keepdim); GC.KeepAlive(this); return New(r); }

        // ------------------------------------------------------------------ linear algebra
        public Tensor matmul(Tensor other) => Binary(this, other, N.zt_matmul);
        public Tensor mm(Tensor other) => Binary(this, other, N.zt_mm);

        // ------------------------------------------------------------------ comparisons (bool results)
        public Tensor eq(Tensor o) => Binary(this, o, N.zt_eq);
        public Tensor ne(Tensor o) => Binary(this, o, N.zt_ne);
        public Tensor lt(Tensor o) => Binary(this, o, N.zt_lt);
        public Tensor le(Tensor o) => Binary(this, o, N.zt_le);
        public Tensor gt(Tensor o) => Binary(this, o, N.zt_gt);
        public Tensor ge(Tensor o) => Binary(this, o, N.zt_ge);
        public Tensor eq(double s) => WithScalar(this, s, N.zt_eq_scalar);
        public Tensor ne(double s) => WithScalar(this, s, N.zt_ne_scalar);
        public Tensor lt(double s) => WithScalar(this, s, N.zt_lt_scalar);
        public Tensor le(double s) => WithScalar(this, s, N.zt_le_scalar);
        public Tensor gt(double s) => WithScalar(this, s, N.zt_gt_scalar);
        public Tensor ge(double s) => WithScalar(this, s, N.zt_ge_scalar);
        public Tensor isfinite() => Unary(this, N.zt_isfinite);

        /// <summary>True when shapes match and all elements are within atol + rtol·|other|.</summary>
        public bool allclose(Tensor other, double rtol = 1e-5, double atol = 1e-8)
        {
            var r = N.zt_allclose(Handle, other.Handle, rtol, atol);
            GC.KeepAlive(this); GC.KeepAlive(other); TorchException.Check();
            return r;
        }

        /// <summary>True when shapes, dtypes and every element are equal.</summary>
        public bool equal(Tensor other)
        {
            var r = N.zt_equal(Handle, other.Handle);
            GC.KeepAlive(this); GC.KeepAlive(other); TorchException.Check();
            return r;
        }
    }

    // ------------------------------------------------------------------ torch.* functions over several tensors
    private static IntPtr[] Handles(IReadOnlyList<Tensor> ts)
    {
        var hs = new IntPtr[ts.Count];
        for (int i = 0; i < hs.Length; i++) hs[i] = ts[i].Handle;
        return hs;
    }

    public static Tensor cat(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        var hs = Handles(tensors);
        fixed (IntPtr* p = hs) { var r = N.zt_cat(p, hs.Length, dim); GC.KeepAlive(tensors); return Tensor.New(r); }
    }

    public static Tensor stack(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        var hs = Handles(tensors);
        fixed (IntPtr* p = hs) { var r = N.zt_stack(p, hs.Length, dim); GC.KeepAlive(tensors); return Tensor.New(r); }
    }

    public static Tensor where(Tensor condition, Tensor x, Tensor y)
    {
        var r = N.zt_where(condition.Handle, x.Handle, y.Handle);
        GC.KeepAlive(condition); GC.KeepAlive(x); GC.KeepAlive(y);
        return Tensor.New(r);
    }

    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);
    public static Tensor mm(Tensor a, Tensor b) => a.mm(b);

    /// <summary>beta·input + alpha·(mat1 @ mat2), in one GEMM.</summary>
    public static Tensor addmm(Tensor input, Tensor mat1, Tensor mat2, double beta = 1, double alpha = 1)
    {
        var r = N.zt_addmm(input.Handle, mat1.Handle, mat2.Handle, beta, alpha);
        GC.KeepAlive(input); GC.KeepAlive(mat1); GC.KeepAlive(mat2);
        return Tensor.New(r);
    }

    public static Tensor exp(Tensor x) => x.exp();
    public static Tensor log(Tensor x) => x.log();
    public static Tensor log1p(Tensor x) => x.log1p();
    public static Tensor sqrt(Tensor x) => x.sqrt();
    public static Tensor abs(Tensor x) => x.abs();
    public static Tensor tanh(Tensor x) => x.tanh();
    public static Tensor sigmoid(Tensor x) => x.sigmoid();
    public static Tensor relu(Tensor x) => x.relu();
    public static Tensor pow(Tensor x, double e) => x.pow(e);
    public static Tensor sum(Tensor x) => x.sum();
    public static Tensor mean(Tensor x) => x.mean();
    public static Tensor logsumexp(Tensor x, long dim, bool keepdim = false) => x.logsumexp(dim, keepdim);
    public static Tensor clamp(Tensor x, double? min = null, double? max = null) => x.clamp(min, max);
}

public static partial class torch
{
    public partial class Tensor
    {
        /// <summary>A new handle to the same tensor (shares data and autograd history).</summary>
        public Tensor alias() => reshape(shape);
    }
}
