namespace Zoo.Torch;

/// <summary>
/// Frees every tensor created while it is current, except those moved out of it, when it is disposed
/// (TorchSharp's DisposeScope). Use one per training step: <c>using var scope = torch.NewDisposeScope();</c>
/// </summary>
/// <remarks>
/// The rule across <c>await</c>: the current scope is an <see cref="AsyncLocal{T}"/>, so it follows the logical
/// flow of control, not the thread. Code after an <c>await</c> inside a <c>using</c> block still registers into
/// that scope even when it resumes on another thread; a caller's scope is unaffected by scopes its async
/// callees open; tasks started inside a scope inherit it (registration is locked, so that is safe). Dispose a
/// scope in the flow that opened it: disposing one that is not current throws instead of silently unwinding.
/// </remarks>
public sealed class DisposeScope : IDisposable
{
    private static readonly AsyncLocal<DisposeScope?> current = new();
    private readonly HashSet<torch.Tensor> tensors = new(ReferenceEqualityComparer.Instance);
    private readonly object gate = new();
    private bool disposed;

    internal DisposeScope(DisposeScope? outer) => Outer = outer;

    /// <summary>The scope new tensors join in this flow, or null.</summary>
    public static DisposeScope? Current => current.Value;

    /// <summary>The scope that was current when this one opened.</summary>
    public DisposeScope? Outer { get; }

    /// <summary>Tensors this scope will free.</summary>
    public int Count { get { lock (gate) return tensors.Count; } }

    internal static DisposeScope Open()
    {
        var s = new DisposeScope(current.Value);
        current.Value = s;
        return s;
    }

    internal void Add(torch.Tensor t)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            tensors.Add(t);
            t.Scope = this;
        }
    }

    internal void Remove(torch.Tensor t)
    {
        lock (gate) tensors.Remove(t);
    }

    /// <summary>Moves tensors to the outer scope (or out of all scopes when this is the outermost).</summary>
    public T MoveToOuter<T>(T t) where T : torch.Tensor
    {
        Remove(t);
        t.Scope = null;
        Outer?.Add(t);
        return t;
    }

    /// <summary>Takes a tensor out of every scope: the caller now owns it and must dispose it.</summary>
    public T Detach<T>(T t) where T : torch.Tensor
    {
        Remove(t);
        t.Scope = null;
        return t;
    }

    public void Dispose()
    {
        if (disposed) return;
        if (current.Value != this)
            throw new InvalidOperationException(
                "DisposeScope disposed out of order or from another flow of control: dispose scopes in the reverse " +
                "order they were opened, in the method (or async flow) that opened them.");
        torch.Tensor[] toFree;
        lock (gate)
        {
            disposed = true;
            toFree = [.. tensors];
            tensors.Clear();
        }
        foreach (var t in toFree)
        {
            t.Scope = null;
            t.Dispose();
        }
        current.Value = Outer;
    }
}

public static partial class torch
{
    /// <summary>Opens a scope that frees the tensors created while it is current (see <see cref="DisposeScope"/>).</summary>
    public static DisposeScope NewDisposeScope() => DisposeScope.Open();
}
