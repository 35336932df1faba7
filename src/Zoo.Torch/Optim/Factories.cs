using Zoo.Torch.Modules;
using Zoo.Torch.Native;

namespace Zoo.Torch;

public static partial class torch
{
    public static partial class optim
    {
        public static Adam Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                                double eps = 1e-8, double weight_decay = 0) => new(parameters, lr, beta1, beta2, eps, weight_decay);
    }

    public static partial class nn
    {
        public static class utils
        {
            /// <summary>Scales all gradients so their global norm is at most <paramref name="max_norm"/>; returns the norm before.</summary>
            public static unsafe double clip_grad_norm_(IEnumerable<Parameter> parameters, double max_norm, double norm_type = 2.0)
            {
                var ps = parameters.ToArray();
                var hs = ps.Select(p => p.Handle).ToArray();
                double r;
                fixed (IntPtr* p = hs) r = NativeMethods.zt_clip_grad_norm(p, hs.Length, max_norm, norm_type);
                GC.KeepAlive(ps);
                TorchException.Check();
                return r;
            }
        }
    }
}
