using Zoo.Core;

namespace Zoo.Hosting.Jobs;

/// <summary>One service per home: the home's serve lock (HOME/serve.lock, see <see cref="FolderLock"/>), held while the service runs.</summary>
public static class HomeLock
{
    /// <summary>Takes the lock, or throws with one line naming the process that holds it.</summary>
    public static FolderLock Acquire(ZooHome home) => FolderLock.TryAcquire(home.Root, "serve", out var holder)
        ?? throw new InvalidOperationException($"another zoo serve (PID {holder}) is running in {home.Root}; one service per home");
}
