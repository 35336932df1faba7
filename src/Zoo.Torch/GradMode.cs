using Zoo.Torch.Native;

namespace Zoo.Torch;

public static partial class torch
{
    // libtorch keeps grad mode per native thread. The managed flag is an AsyncLocal whose change callback fires
    // whenever the value seen by a thread changes, including when an async continuation resumes on a pool
    // thread, and re-applies it to that thread's libtorch state. So no_grad, like DisposeScope, follows the
    // logical flow across await, and a pool thread is never left with gradients switched off.
    private static readonly AsyncLocal<bool> gradDisabled = new(args => NativeMethods.zt_set_grad_enabled(!args.CurrentValue));

    /// <summary>Disables gradient recording until disposed: <c>using (torch.no_grad()) { ... }</c>.</summary>
    public static IDisposable no_grad() => new GradModeScope(enabled: false);

    /// <summary>Enables gradient recording until disposed (inside a no_grad block).</summary>
    public static IDisposable enable_grad() => new GradModeScope(enabled: true);

    public static bool is_grad_enabled() => !gradDisabled.Value;

    private sealed class GradModeScope : IDisposable
    {
        private readonly bool previousDisabled;
        private bool disposed;

        public GradModeScope(bool enabled)
        {
            previousDisabled = gradDisabled.Value;
            gradDisabled.Value = !enabled;
        }

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            gradDisabled.Value = previousDisabled;
        }
    }
}
