using System.Text.Json;
using Zoo.Core;

namespace Zoo.Hosting.Jobs;

/// <summary>
/// The job queue as a folder. `zoo submit` (or anyone) drops a JSON job file into inbox/; the service takes it
/// into runs/ID/job.json. Every record is written to a temp file and renamed, so a reader or a kill -9 never sees
/// half a record. Cancelling writes runs/ID/cancel. Why a folder and not a loopback HTTP API: jobs can be
/// submitted while no service runs, survive restarts, need no port or client code, and can be read with cat.
/// </summary>
public sealed class JobStore(ZooHome home)
{
    public ZooHome Home => home;

    public string RunDir(string id) => Path.Combine(home.Runs, id);
    public string RecordPath(string id) => Path.Combine(RunDir(id), "job.json");
    public string LogPath(string id) => Path.Combine(RunDir(id), "log.txt");
    private string CancelPath(string id) => Path.Combine(RunDir(id), "cancel");

    /// <summary>Writes a job file into the inbox (atomically) and returns its id.</summary>
    public string Submit(JobSpec spec)
    {
        Directory.CreateDirectory(home.Inbox);
        var id = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{spec.Model}-{Guid.NewGuid().ToString("N")[..6]}";
        AtomicFile.WriteAllText(Path.Combine(home.Inbox, id + ".json"), JsonSerializer.Serialize(spec, JobRecord.Json));
        return id;
    }

    /// <summary>Inbox files not yet taken by the service: (id, path).</summary>
    public IReadOnlyList<(string Id, string Path)> Inbox() => Directory.Exists(home.Inbox)
        ? Directory.GetFiles(home.Inbox, "*.json").Order(StringComparer.Ordinal).Select(p => (Path.GetFileNameWithoutExtension(p), p)).ToList()
        : [];

    /// <summary>Reads a job file from the inbox; a malformed one is a one-line error naming the file.</summary>
    public static JobSpec ReadSpec(string path)
    {
        try
        {
            var spec = JsonSerializer.Deserialize<JobSpec>(File.ReadAllText(path), JobRecord.Json);
            if (spec is null || string.IsNullOrWhiteSpace(spec.Model)) throw new InvalidDataException("expected {\"model\": NAME, \"settings\": {KEY: VALUE, ...}}");
            return spec with { Settings = spec.Settings ?? new Dictionary<string, string>() };
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a job file ({e.Message})"); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
    }

    public void Save(JobRecord record)
    {
        Directory.CreateDirectory(RunDir(record.Id));
        AtomicFile.WriteAllText(RecordPath(record.Id), JsonSerializer.Serialize(record, JobRecord.Json));
    }

    public JobRecord? Find(string id)
    {
        var path = RecordPath(id);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<JobRecord>(File.ReadAllText(path), JobRecord.Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: malformed job record ({e.Message})"); }
    }

    /// <summary>Every job record, oldest submission first.</summary>
    public IReadOnlyList<JobRecord> All() => Directory.Exists(home.Runs)
        ? Directory.GetDirectories(home.Runs).Select(d => Find(Path.GetFileName(d))).OfType<JobRecord>()
            .OrderBy(r => r.Submitted).ThenBy(r => r.Id, StringComparer.Ordinal).ToList()
        : [];

    public void RequestCancel(string id) => AtomicFile.WriteAllText(CancelPath(id), DateTimeOffset.UtcNow.ToString("O"));

    public bool CancelRequested(string id) => File.Exists(CancelPath(id));

    public void AppendLog(string id, string line)
    {
        Directory.CreateDirectory(RunDir(id));
        File.AppendAllText(LogPath(id), $"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss} {line}\n");
    }
}
