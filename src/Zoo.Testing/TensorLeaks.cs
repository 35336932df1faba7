using static Zoo.Torch.torch;

namespace Zoo.Testing;

/// <summary>Native tensors are freed deterministically (dispose scopes); a plugin that forgets one leaks native memory every batch.</summary>
public static class TensorLeaks
{
    /// <summary>Runs <paramref name="action"/> and checks that it leaves no more native tensors alive than before.</summary>
    public static void None(Action action) => None(() => { action(); return 0; });

    /// <summary>
    /// Runs <paramref name="action"/> and checks that the native tensors alive afterwards (after finalizers ran) are as
    /// many as before, plus those it returns (its result is disposed by the caller).
    /// </summary>
    public static T None<T>(Func<T> action, int returned = 0)
    {
        var before = SettledLiveTensors();
        var result = action();
        var after = SettledLiveTensors();
        if (after - before != returned)
            throw new ZooCheckException($"{after - before - returned} native tensor(s) leaked: {before} alive before, {after} after " +
                                        $"(expected {before + returned}); dispose temporaries or run the code in a NewDisposeScope()");
        return result;
    }
}
