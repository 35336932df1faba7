using Zoo.Core;

namespace Zoo.Hosting.Jobs;

/// <summary>
/// One service per home: an exclusive lock on HOME/serve.lock, held while the service runs (the OS drops it when the
/// process dies, so a kill -9 never leaves a stale lock). The holder's PID is written beside it for the refusal message.
/// </summary>
public sealed class HomeLock : IDisposable
{
    private readonly FileStream stream;
    private readonly string pidPath;

    private HomeLock(FileStream stream, string pidPath) => (this.stream, this.pidPath) = (stream, pidPath);

    /// <summary>Takes the lock, or throws with one line naming the process that holds it.</summary>
    public static HomeLock Acquire(ZooHome home)
    {
        Directory.CreateDirectory(home.Root);
        var path = Path.Combine(home.Root, "serve.lock");
        var pidPath = Path.Combine(home.Root, "serve.pid");
        FileStream stream;
        try { stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException)
        {
            var pid = File.Exists(pidPath) ? File.ReadAllText(pidPath).Trim() : "unknown";
            throw new InvalidOperationException($"another zoo serve (PID {pid}) is running in {home.Root}; one service per home");
        }
        AtomicFile.WriteAllText(pidPath, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new HomeLock(stream, pidPath);
    }

    public void Dispose()
    {
        try { File.Delete(pidPath); } catch (IOException) { }
        stream.Dispose();
    }
}
