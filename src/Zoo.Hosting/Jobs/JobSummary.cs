namespace Zoo.Hosting.Jobs;

/// <summary>
/// One line of the job list (`zoo jobs`, GET /api/jobs): a job's record, or a job file still waiting in the inbox
/// (state "submitted"). The same record travels over HTTP, so the CLI prints a remote list as it prints a local one.
/// </summary>
public sealed record JobSummary(
    string Id, string Model, string State, int Epoch, double? TestElbo, string? Reason,
    DateTimeOffset? Submitted, DateTimeOffset? Updated, IReadOnlyDictionary<string, string> Settings, string? Penalty = null,
    string? Bound = null)
{
    /// <summary>The state of a job file still in the inbox.</summary>
    public const string WaitingState = "submitted";

    public static JobSummary Of(JobRecord r) => new(r.Id, r.Spec.Model, r.State.ToString().ToLowerInvariant(), r.Epoch, r.TestElbo,
        r.Reason, r.Submitted, r.Updated, r.Spec.Settings, r.Penalty, r.Bound);

    /// <summary>Every job of the store: inbox files not yet taken (an inbox file whose record exists is listed once, by its record), then the records.</summary>
    public static IReadOnlyList<JobSummary> List(JobStore store)
    {
        var records = store.All();
        var taken = records.Select(r => r.Id).ToHashSet();
        var waiting = store.Inbox().Where(j => !taken.Contains(j.Id)).Select(j => Waiting(j.Id, j.Path));
        return [.. waiting, .. records.Select(Of)];
    }

    /// <summary>One job by id, without reading every record: its record, else its inbox file, else null.</summary>
    public static JobSummary? Find(JobStore store, string id)
    {
        if (!JobStore.IsValidId(id)) return null;
        if (File.Exists(store.RecordPath(id)))
        {
            try { return store.Find(id) is { } record ? Of(record) : null; }
            catch (InvalidDataException) { return List(store).FirstOrDefault(j => j.Id == id); } // quarantined as the list does it
        }
        return store.Inbox().FirstOrDefault(j => j.Id == id) is { Path: { } path } ? Waiting(id, path)
            : List(store).FirstOrDefault(j => j.Id == id); // a quarantined record
    }

    /// <summary>A job in the inbox: its spec when readable (the service reports a bad one when it takes it).</summary>
    private static JobSummary Waiting(string id, string path)
    {
        JobSpec? spec = null;
        try { spec = JobStore.ReadSpec(path); }
        catch (Exception e) when (e is InvalidDataException or IOException) { }
        return new JobSummary(id, spec?.Model ?? "?", WaitingState, 0, null, "waiting for `zoo serve`", null, null,
            spec?.Settings ?? new Dictionary<string, string>());
    }
}
