using System.Globalization;

namespace Zoo.Core;

/// <summary>
/// An exclusive lock on FOLDER/NAME.lock, held while a process works there; the OS drops it when the process dies,
/// so a kill -9 never leaves a stale lock. The holder's PID is written beside it (NAME.pid) for the refusal message.
/// Two uses: one service per home (serve) and one trainer per run folder (run). A job is claimed by taking its run
/// lock, so neither a second worker nor a `zoo train --resume` of the same folder can run it twice.
/// </summary>
public sealed class FolderLock : IDisposable
{
    public const string Run = "run";
    private readonly FileStream stream;
    private readonly string pidPath;

    private FolderLock(FileStream stream, string pidPath) => (this.stream, this.pidPath) = (stream, pidPath);

    /// <summary>Takes the lock, or returns null with the holder's PID (or "unknown") in <paramref name="holder"/>.</summary>
    public static FolderLock? TryAcquire(string folder, string name, out string holder)
    {
        Directory.CreateDirectory(folder);
        var pidPath = Path.Combine(folder, name + ".pid");
        holder = "";
        FileStream stream;
        // FileShare.None is an exclusive flock on Unix (also against another open in this process). Opened for reading
        // only: a file held open for writing would stop an administrator remounting the disk read-only.
        try { stream = new FileStream(Path.Combine(folder, name + ".lock"), FileMode.OpenOrCreate, FileAccess.Read, FileShare.None); }
        catch (IOException e) when (IoFault.Describe(e) is null)
        {
            try { holder = File.ReadAllText(pidPath).Trim(); } catch (IOException) { }
            if (holder.Length == 0) holder = "unknown";
            return null;
        }
        try { AtomicFile.WriteAllText(pidPath, Environment.ProcessId.ToString(CultureInfo.InvariantCulture)); }
        catch (Exception e) when (IoFault.Describe(e) is not null) { } // only the refusal message needs it
        return new FolderLock(stream, pidPath);
    }

    /// <summary>The run lock of a run folder, or one line naming the process that trains there.</summary>
    public static FolderLock AcquireRun(string runDir) => TryAcquire(runDir, Run, out var holder)
        ?? throw new IOException($"{runDir} is being trained by another process (PID {holder}); wait for it to finish or stop it");

    /// <summary>Deletes a folder that holds nothing but this lock's files (released first), as if never made.</summary>
    public static void RemoveUnused(string folder, string name)
    {
        try
        {
            var entries = Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).ToArray();
            if (entries.Any(e => e != name + ".lock" && e != name + ".pid")) return;
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // tidying only
    }

    public void Dispose()
    {
        try { File.Delete(pidPath); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        stream.Dispose();
    }
}
