using System.Text.Json;
using System.Text.Json.Nodes;
using Zoo.Core.Configuration;
using Zoo.Core;

namespace Zoo.Hosting.Jobs;

/// <summary>
/// The job queue as a folder. `zoo submit` (or anyone) drops a JSON job file into inbox/; the service takes it
/// into runs/ID/job.json. Every record is written to a temp file and renamed, so a reader or a kill -9 never sees
/// half a record. Cancelling writes runs/ID/cancel. Why a folder: jobs can be submitted while no service runs,
/// survive restarts, need no port or client code, and can be read with cat. The HTTP API of `zoo serve --urls`
/// (Zoo.Web) is a front on this same queue, not a second one.
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

    /// <summary>Inbox files not yet taken by the service: (id, path); `.json` in any case (X.JSON too).</summary>
    public IReadOnlyList<(string Id, string Path)> Inbox() => Directory.Exists(home.Inbox)
        ? Directory.GetFiles(home.Inbox, "*.json", new EnumerationOptions { MatchCasing = MatchCasing.CaseInsensitive })
            .Order(StringComparer.Ordinal).Select(p => (Path.GetFileNameWithoutExtension(p), p)).ToList()
        : [];

    /// <summary>Reads a job file from the inbox; a malformed one is a one-line error naming the file.</summary>
    public static JobSpec ReadSpec(string path)
    {
        try { return ParseSpec(File.ReadAllText(path)); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
    }

    /// <summary>
    /// A job as JSON (an inbox file, or the body of an HTTP submission): {"model": NAME, "settings": {KEY: VALUE, ...}},
    /// and optionally "ranks": N for a data-parallel job of N local ranks (`zoo launch --nproc N`).
    /// Settings are the command line's keys, or the same tree nested as a run's config.json nests it
    /// ({"encoder": {"name": "gaussian-mlp", "hidden": [200, 200]}}); values may be JSON numbers and lists.
    /// </summary>
    public static JobSpec ParseSpec(string json)
    {
        try
        {
            const string Expected = "expected {\"model\": NAME, \"settings\": {KEY: VALUE, ...}}";
            var obj = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject
                ?? throw new InvalidDataException(Expected);
            if (obj.Select(kv => kv.Key).FirstOrDefault(k => k is not ("model" or "settings" or "ranks")) is { } unknown)
                throw new InvalidDataException($"unknown field '{unknown}'; a job file has model, settings and optionally ranks ({Expected[9..]})");
            var ranks = obj["ranks"] switch
            {
                null => 1,
                JsonValue r when r.TryGetValue<int>(out var n) => n,
                var other => throw new InvalidDataException($"ranks = {other.ToJsonString()}: expected a whole number of ranks, 1 to {JobSpec.MaxRanks}"),
            };
            var model = obj["model"] is JsonValue m && m.TryGetValue<string>(out var name) && !string.IsNullOrWhiteSpace(name)
                ? name : throw new InvalidDataException(Expected);
            var settings = obj["settings"] switch
            {
                null => new Dictionary<string, string>(),
                JsonObject o => ConfigText.FlattenJson(o).ToDictionary(),
                _ => throw new InvalidDataException(Expected),
            };
            return new JobSpec(model, settings, ranks);
        }
        catch (JsonException e) { throw new InvalidDataException($"not a job file ({e.Message})"); }
        catch (ArgumentException e) { throw new InvalidDataException(e.Message); } // a key given twice (flat and nested)
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

    /// <summary>
    /// Every job record, oldest submission first. A record that cannot be read (garbage, 0 bytes) is quarantined: renamed
    /// to job.json.quarantined with the reason in quarantine.txt, and listed as a quarantined job, so that one bad record
    /// never stops the others.
    /// </summary>
    public IReadOnlyList<JobRecord> All() => Directory.Exists(home.Runs)
        ? Directory.GetDirectories(home.Runs).Select(d => ReadOrQuarantine(Path.GetFileName(d))).OfType<JobRecord>()
            .OrderBy(r => r.Submitted).ThenBy(r => r.Id, StringComparer.Ordinal).ToList()
        : [];

    private string QuarantinedPath(string id) => RecordPath(id) + ".quarantined";
    private string QuarantineReasonPath(string id) => Path.Combine(RunDir(id), "quarantine.txt");

    private JobRecord? ReadOrQuarantine(string id)
    {
        try
        {
            if (Find(id) is { } record) return record;
        }
        catch (InvalidDataException e)
        {
            AtomicFile.WriteAllText(QuarantineReasonPath(id), e.Message);
            File.Move(RecordPath(id), QuarantinedPath(id), overwrite: true);
        }
        if (!File.Exists(QuarantinedPath(id))) return null; // a folder whose record is not written yet
        var since = File.GetLastWriteTimeUtc(QuarantinedPath(id));
        var reason = File.Exists(QuarantineReasonPath(id)) ? File.ReadAllText(QuarantineReasonPath(id)).Trim() : "unreadable job record";
        return new JobRecord(id, new JobSpec("?", new Dictionary<string, string>()), JobState.Quarantined, since, since,
            Reason: $"quarantined: {reason} (moved to job.json.quarantined)");
    }

    /// <summary>
    /// Cancels a job: one still in the inbox is removed (the service never sees it); a queued or running one gets a
    /// cancel request (a running job stops at its next batch, keeping its checkpoint). Unknown ids and finished jobs
    /// are errors (<see cref="JobNotFoundException"/>, <see cref="InvalidOperationException"/>) with one line each.
    /// </summary>
    public CancelOutcome Cancel(string id)
    {
        var pending = Inbox().FirstOrDefault(j => j.Id == id);
        if (pending.Path is not null)
        {
            File.Delete(pending.Path);
            return new CancelOutcome(id, null);
        }
        var record = Find(id) ?? throw NotFound(id);
        if (record.IsFinal) throw new InvalidOperationException($"job {id} already {record.State.ToString().ToLowerInvariant()}");
        RequestCancel(id);
        return new CancelOutcome(id, record.State);
    }

    /// <summary>What <see cref="Cancel"/> did: <see cref="WasState"/> is null when the job was taken out of the inbox.</summary>
    public sealed record CancelOutcome(string Id, JobState? WasState)
    {
        public string Message => WasState is { } state
            ? $"cancel requested for {Id} ({state.ToString().ToLowerInvariant()}); a running job stops at its next batch"
            : $"cancelled {Id} before the service took it";
    }

    public JobNotFoundException NotFound(string id) => new($"no job '{id}' in {home.Runs} (see `zoo jobs`)");

    /// <summary>A safe job id: what <see cref="Submit"/> makes (letters, digits, '-', '_', '.'), never a path or "..".</summary>
    public static bool IsValidId(string id) =>
        id.Length is > 0 and <= 200 && id is not ("." or "..") && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    public void RequestCancel(string id) => AtomicFile.WriteAllText(CancelPath(id), DateTimeOffset.UtcNow.ToString("O"));

    public bool CancelRequested(string id) => File.Exists(CancelPath(id));

    public void AppendLog(string id, string line)
    {
        Directory.CreateDirectory(RunDir(id));
        File.AppendAllText(LogPath(id), $"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss} {line}\n");
    }
}

/// <summary>A job id that names no job (a user mistake: one line; 404 over HTTP).</summary>
public sealed class JobNotFoundException(string message) : ArgumentException(message);
