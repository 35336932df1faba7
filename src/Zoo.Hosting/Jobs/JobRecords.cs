using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Zoo.Hosting.Jobs;

/// <summary>
/// queued → running → succeeded | failed | cancelled; running → interrupted (stopped with a checkpoint; resumes on
/// restart); running → paused (a storage failure: full disk, read-only or forbidden folder; tried again from the
/// checkpoint after a while). quarantined: the record could not be read; it was renamed aside and the job is not run.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobState>))]
public enum JobState { Queued, Running, Interrupted, Paused, Succeeded, Failed, Cancelled, Quarantined }

/// <summary>What to train: a model and its config overrides (the same key=value settings as `zoo train`).</summary>
public sealed record JobSpec(string Model, IReadOnlyDictionary<string, string> Settings, int Ranks = 1)
{
    /// <summary>The most ranks a job may ask for (`zoo launch` starts them all on the service's machine).</summary>
    public const int MaxRanks = 64;
}

/// <summary>
/// A job's record (runs/ID/job.json), rewritten atomically on every change of state. From the epoch lines:
/// <paramref name="Bound"/> names the figure <paramref name="TestElbo"/> holds ("ELBO", "IWAE-K5", the WAE's objective
/// "WAE-MMD") and <paramref name="Penalty"/> the term metrics.csv keeps as train_kl / test_kl ("KL", or a model's
/// own, such as the WAE's "MMD"); both null before the first epoch and in records written before they were kept.
/// </summary>
public sealed record JobRecord(
    string Id, JobSpec Spec, JobState State, DateTimeOffset Submitted, DateTimeOffset Updated,
    DateTimeOffset? Started = null, DateTimeOffset? Finished = null, string? Reason = null, int Epoch = 0, int Attempts = 0,
    double? TestElbo = null, string? Penalty = null, string? Bound = null)
{
    public bool IsFinal => State is JobState.Succeeded or JobState.Failed or JobState.Cancelled or JobState.Quarantined;

    /// <summary>How a job's test figure is named: its <paramref name="bound"/>, or ELBO for records from before jobs kept it.</summary>
    public static string BoundOrElbo(string? bound) => bound ?? Zoo.Core.Training.EpochMetrics.BoundLabel(Zoo.Core.Training.EpochMetrics.ElboBound);

    /// <summary>The last line of a job that trained to the end: "succeeded: test ELBO -94.20 nats after 5 epochs".</summary>
    public string SucceededLine() => string.Create(CultureInfo.InvariantCulture,
        $"succeeded: test {BoundOrElbo(Bound)} {TestElbo:F2} nats after {Epoch} epoch{(Epoch == 1 ? "" : "s")}{(Spec.Ranks > 1 ? $" ({Spec.Ranks} ranks)" : "")}");

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}
