using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Zoo.Core;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Core.Training;
using Zoo.Hosting.PluginLoading;

namespace Zoo.Hosting.Jobs;

public sealed class JobServiceOptions
{
    /// <summary>Jobs trained at once. 1 on a 2-core machine: libtorch already uses both cores for one job.</summary>
    public int MaxConcurrency { get; set; } = 1;

    /// <summary>How often the inbox and cancel requests are checked (a FileSystemWatcher also wakes the loop).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a job paused by a storage failure (full disk, read-only or forbidden folder) waits before it is tried again.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The zoo.dll a multi-rank job's `zoo launch` runs (default: the one beside the service's own assemblies).</summary>
    public string ZooDll { get; set; } = Path.Combine(AppContext.BaseDirectory, "zoo.dll");
}

/// <summary>
/// Runs training jobs from the <see cref="JobStore"/> queue with bounded concurrency. On start it requeues jobs a
/// previous run left running or interrupted (they resume from their checkpoints). On shutdown each running job
/// stops at its next batch boundary, checkpoints mid-epoch and is marked interrupted. A failing job is recorded
/// with its reason and never stops the service. A job that meets a storage failure (<see cref="IoFault"/>) is paused and
/// resumed from its last checkpoint once the retry interval has passed; a storage failure of the service's own
/// bookkeeping (the inbox, a log line) is logged and tried again at the next poll. A job runs only while its run lock
/// (<see cref="FolderLock"/>) is held, so no job is ever trained by two workers at once.
/// </summary>
public sealed partial class JobService(JobStore store, PluginCatalog catalog, IOptions<JobServiceOptions> options, ILogger<JobService> logger)
    : BackgroundService
{
    private readonly Dictionary<string, (Task Task, CancellationTokenSource Cancel)> running = [];
    /// <summary>Plugin folders whose plugins are in the catalog.</summary>
    private readonly HashSet<string> loadedPluginFolders = [];
    /// <summary>Plugin folders that could not be loaded, with the state of their files then: tried again once it changes.</summary>
    private readonly Dictionary<string, string> failedPluginFolders = [];
    private readonly List<ServiceProvider> pluginProviders = [];

    /// <summary>Jobs that wait before their next try (paused by a storage failure, or claimed by another worker), by id.</summary>
    private readonly Dictionary<string, DateTimeOffset> notBefore = [];
    private string? lastLoopFault;

    /// <summary>Why the service stopped on its own (null while it runs or after a requested stop): the host's exit code follows it.</summary>
    public string? Faulted { get; private set; }
    private readonly SemaphoreSlim wake = new(0);

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        try { await Serve(stopping); }
        catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            // Whatever ends the loop itself (an unusable home, a bug) ends the service with a non-zero exit, never 0.
            Faulted = e.Message.Split('\n')[0];
            logger.LogCritical("Job service stopped: {Reason}", Faulted);
            throw;
        }
    }

    private async Task Serve(CancellationToken stopping)
    {
        using var exclusive = HomeLock.Acquire(store.Home); // a second service would take the same inbox files and run jobs twice
        var max = Math.Max(1, options.Value.MaxConcurrency);
        logger.LogInformation("Job service started in {Home} (max {Max} concurrent job(s)); {Engine}", store.Home.Root, max, Zoo.Torch.Threading.Engine);
        if (Zoo.Torch.Native.BlasKernel.Note is { } blas) logger.LogInformation("BLAS: {Note}", blas);
        foreach (var debris in StaleTemps.Remove(store.Home.Root, depth: 2))
            logger.LogInformation("Removed {Path}: a temp file of a process that is gone", debris);
        Recover();
        // The folders the host loaded its plugins from when it was built (asked of the catalog, not of the disk: a folder
        // installed since, even before this line, is loaded by the loop).
        foreach (var plugin in catalog.All)
            if (Path.GetDirectoryName(plugin.GetType().Assembly.Location) is { Length: > 0 } dir) loadedPluginFolders.Add(Path.GetFullPath(dir));
        Directory.CreateDirectory(store.Home.Inbox);
        using var watcher = new FileSystemWatcher(store.Home.Inbox, "*.json") { EnableRaisingEvents = true };
        watcher.Created += (_, _) => wake.Release();
        watcher.Renamed += (_, _) => wake.Release();
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                Tolerating(() => LoadInstalledPlugins());
                var inboxFault = Tolerating(Ingest); // a job file that cannot be taken yet must not hold up the others
                var fault = Tolerating(() => Poll(max, stopping)) ?? inboxFault;
                if (fault is not null && fault != lastLoopFault)
                    logger.LogWarning("Job service cannot read or write its home: {Reason}; trying again every {Seconds} s", fault, options.Value.PollInterval.TotalSeconds);
                lastLoopFault = fault;
                try { await wake.WaitAsync(options.Value.PollInterval, stopping); }
                catch (OperationCanceledException) { }
            }
        }
        finally
        {
            // Shutdown: the linked tokens are cancelled; wait while each job checkpoints at its batch boundary.
            if (running.Count > 0) logger.LogInformation("Stopping: {Count} running job(s) checkpoint at their next batch", running.Count);
            await Task.WhenAll(running.Values.Select(j => j.Task));
            foreach (var j in running.Values) j.Cancel.Dispose();
            foreach (var provider in pluginProviders) provider.Dispose();
            logger.LogInformation("Job service stopped");
        }
    }

    /// <summary>
    /// Runs one step of the loop; a full or read-only home is returned as its reason, for the loop to report once and
    /// try again at the next poll (running jobs pause on their own).
    /// </summary>
    private static string? Tolerating(Action step)
    {
        try { step(); return null; }
        catch (Exception e) when (IoFault.Describe(e) is { } why) { return $"{why} ({e.Message.Split('\n')[0]})"; }
    }

    /// <summary>
    /// Plugin folders installed in HOME/plugins since the service started (`zoo plugins install` renames each into
    /// place whole) join the catalog, so a job for a plugin installed after `zoo serve` started runs instead of failing
    /// as unknown. A folder that cannot be loaded is logged once with its reason.
    /// </summary>
    private bool LoadInstalledPlugins()
    {
        bool loaded = false;
        foreach (var dir in PluginLoader.Folders(store.Home.Plugins).Select(Path.GetFullPath).Where(d => !loadedPluginFolders.Contains(d)))
        {
            var fingerprint = Fingerprint(dir);
            if (failedPluginFolders.GetValueOrDefault(dir) == fingerprint) continue;
            var services = new ServiceCollection();
            var taken = catalog.All.Select(p => $"{p.Kind.ToString().ToLowerInvariant()} {p.Name}").ToHashSet(); // as the loader names them
            try
            {
                var names = PluginLoader.LoadOne(services, PluginLoader.MainAssembly(dir), taken);
                var provider = services.BuildServiceProvider();
                catalog.Add(provider.GetServices<IPlugin>());
                pluginProviders.Add(provider);
                loadedPluginFolders.Add(dir);
                failedPluginFolders.Remove(dir);
                loaded = true;
                logger.LogInformation("Loaded plugin folder {Dir}, installed while the service runs: {Plugins}", dir, string.Join(", ", names));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failedPluginFolders[dir] = fingerprint;
                logger.LogWarning("Skipped plugin folder {Dir}: {Reason}", dir, PluginLoader.Reason(e));
            }
        }
        return loaded;
    }

    /// <summary>The names, sizes and times of a folder's files: it changes while a plugin is being copied in.</summary>
    private static string Fingerprint(string dir) => string.Join("|", new DirectoryInfo(dir).EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal)
        .Select(f => $"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}"));

    /// <summary>One turn of the loop after the inbox: pass on cancel requests, start queued jobs and paused ones that are due.</summary>
    private void Poll(int max, CancellationToken stopping)
    {
        foreach (var (id, job) in running.ToList())
        {
            if (job.Task.IsCompleted) running.Remove(id);
            else if (store.CancelRequested(id)) job.Cancel.Cancel();
        }
        var now = DateTimeOffset.UtcNow;
        foreach (var record in store.All().Where(r => !r.IsFinal && !running.ContainsKey(r.Id) && (r.State is JobState.Queued or JobState.Paused || Waiting(r.Id))))
        {
            if (store.CancelRequested(record.Id)) { Finish(record, JobState.Cancelled, "cancelled before it started"); continue; }
            if (running.Count >= max) break; // before the waiting list is touched: a job dropped from it unstarted would be forgotten
            lock (notBefore)
            {
                if (notBefore.TryGetValue(record.Id, out var due) && due > now) continue;
                notBefore.Remove(record.Id);
            }
            var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            running[record.Id] = (Task.Factory.StartNew(() => Run(record, cts.Token), TaskCreationOptions.LongRunning), cts);
        }
    }

    /// <summary>
    /// A job this service set aside to try again: its record may still say running, because the fault that paused it
    /// also kept the record from being written.
    /// </summary>
    private bool Waiting(string id)
    {
        lock (notBefore) return notBefore.ContainsKey(id);
    }

    /// <summary>
    /// Jobs a previous service left running (kill -9, power loss), interrupted or paused go back to the queue; a job
    /// whose run lock another live process holds is being trained there and is left to it.
    /// </summary>
    private void Recover()
    {
        foreach (var r in store.All().Where(r => r.State is JobState.Running or JobState.Interrupted or JobState.Paused))
        {
            using (var probe = FolderLock.TryAcquire(store.RunDir(r.Id), FolderLock.Run, out var holder))
                if (probe is null)
                {
                    logger.LogInformation("Job {Id} is being trained by another process (PID {Pid}); left to it", r.Id, holder);
                    continue;
                }
            logger.LogInformation("Job {Id} was {State} when the service stopped; it resumes from its checkpoint", r.Id, r.State);
            store.Save(r with { State = JobState.Queued, Updated = DateTimeOffset.UtcNow });
        }
    }

    /// <summary>Takes job files from the inbox into runs/: queued, or failed with the reason it cannot run.</summary>
    private void Ingest()
    {
        foreach (var (id, path) in store.Inbox())
        {
            var now = DateTimeOffset.UtcNow;
            // Taken already, then a crash (or a full disk) before the delete. Only a written record counts: a folder
            // alone may be all a full disk allowed, and deleting the inbox file then would lose the job.
            if (File.Exists(store.RecordPath(id))) { File.Delete(path); continue; }
            JobRecord record;
            try
            {
                var spec = JobStore.ReadSpec(path);
                record = new JobRecord(id, spec, JobState.Queued, now, now);
                // A bad model name or config fails the job now, not when it starts; a plugin installed a moment ago
                // (after this turn looked at HOME/plugins) is loaded first.
                try { Bind(spec); }
                catch (ArgumentException) when (LoadInstalledPlugins()) { Bind(spec); }
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException)
            {
                var spec = TryReadSpec(path) ?? new JobSpec("?", new Dictionary<string, string>());
                record = new JobRecord(id, spec, JobState.Failed, now, now, Finished: now, Reason: e.Message);
            }
            store.Save(record);  // the record first: if this fails the inbox file stays, to be taken at a later poll
            if (record.State == JobState.Failed) logger.LogWarning("Job {Id} rejected: {Reason}", id, record.Reason);
            else logger.LogInformation("Job {Id} queued: {Model} {Settings}", id, record.Spec.Model, Settings(record.Spec));
            Log(id, record.State == JobState.Failed ? $"rejected: {record.Reason}" : $"queued: {record.Spec.Model} {Settings(record.Spec)}");
            File.Delete(path);
        }
    }

    private void Run(JobRecord record, CancellationToken cancel)
    {
        var id = record.Id;
        var runDir = store.RunDir(id);
        FolderLock? claim;
        string holder;
        try { claim = FolderLock.TryAcquire(runDir, FolderLock.Run, out holder); }
        catch (Exception e) when (IoFault.Describe(e) is { } why) { Pause(record, why, e); return; }
        if (claim is null)
        {
            // Another process holds the job's run lock: it is training the job now; this worker looks again later.
            lock (notBefore) notBefore[id] = DateTimeOffset.UtcNow + options.Value.RetryInterval;
            logger.LogInformation("Job {Id} is being trained by another process (PID {Pid}); left to it", id, holder);
            return;
        }
        using var _ = claim;
        try
        {
            var resume = Directory.Exists(Path.Combine(runDir, CheckpointState.Folder)) || Directory.Exists(Path.Combine(runDir, CheckpointState.Folder + ".old"));
            record = record with { State = JobState.Running, Started = record.Started ?? DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow, Attempts = record.Attempts + 1 };
            store.Save(record);
            Log(id, resume ? "resuming from the checkpoint" : "started");
            logger.LogInformation("Job {Id} {Action}: {Model}", id, resume ? "resuming" : "started", record.Spec.Model);
            if (record.Spec.Ranks > 1)
            {
                RunLaunched(record, runDir, resume, claim, cancel);
                return;
            }
            var result = Bind(record.Spec).Train(runDir, resume, catalog.Callbacks(),
                new Observer(store, logger, line => Log(id, line), id, () => record, r => record = r), cancel, claim);
            Log(id, "wrote " + string.Join(", ", result.Files));
            var last = result.Metrics[^1];
            var done = record with { TestElbo = last.TestElbo, Epoch = last.Epoch, Bound = last.BoundName, Penalty = last.Penalty };
            Finish(done, JobState.Succeeded, null, done.SucceededLine());
        }
        catch (OperationCanceledException e)
        {
            if (store.CancelRequested(id)) Finish(record, JobState.Cancelled, "cancelled by request", $"cancelled: {e.Message}");
            else
            {
                // Service shutdown: checkpointed mid-epoch; the next start resumes it.
                store.Save(record with { State = JobState.Interrupted, Reason = e.Message, Updated = DateTimeOffset.UtcNow });
                Log(id, $"interrupted: {e.Message}");
                logger.LogInformation("Job {Id} interrupted: {Reason}", id, e.Message);
            }
        }
        catch (Exception e) when (IoFault.Describe(e) is { } why) { Pause(record, why, e); }
        catch (Exception e)
        {
            var reason = e.Message.Split('\n')[0];
            Finish(record, JobState.Failed, reason);
            logger.LogError(e, "Job {Id} failed: {Reason}", id, reason);
        }
    }

    /// <summary>
    /// A data-parallel job (ranks &gt; 1): `zoo launch --nproc N -- train …` into the job's folder, with the service's home
    /// for its plugins. The service hands the run lock over: it lets go as it starts the ranks and their rank 0 takes it,
    /// so ranks that outlive a killed service still hold the folder and the next service leaves the job to them (as it
    /// leaves any job another process trains). Rank 0's lines go to the job's log, its epoch lines to the record as well.
    /// A cancel or the service's stop ends the ranks at once: the job resumes from its last epoch's checkpoint.
    /// </summary>
    private void RunLaunched(JobRecord record, string runDir, bool resume, FolderLock claim, CancellationToken cancel)
    {
        var id = record.Id;
        var zooDll = options.Value.ZooDll;
        if (!File.Exists(zooDll))
            throw new InvalidDataException($"a job of {record.Spec.Ranks} ranks needs zoo.dll to start `zoo launch`, and {zooDll} does not exist");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[zooDll, "launch", "--nproc", record.Spec.Ranks.ToString(CultureInfo.InvariantCulture), "--", "train", record.Spec.Model])
            start.ArgumentList.Add(arg);
        foreach (var (key, value) in record.Spec.Settings) start.ArgumentList.Add($"{key}={value}");
        start.ArgumentList.Add("--out");
        start.ArgumentList.Add(runDir);
        if (resume) start.ArgumentList.Add("--resume");
        start.Environment["ZOO_HOME"] = store.Home.Root;
        string? error = null;
        var current = record;
        var progress = new Lock(); // stdout and stderr lines arrive on two threads
        void Line(string? line, bool stderr)
        {
            if (line is null) return;
            Log(id, line);
            if (stderr && line.StartsWith("zoo: error: ", StringComparison.Ordinal)) error = line["zoo: error: ".Length..];
            if (EpochLine().Match(line) is { Success: true } m)
            {
                lock (progress)
                {
                    current = current with { Epoch = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
                        Bound = m.Groups[2].Value, TestElbo = double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture),
                        Penalty = m.Groups[4].Success ? m.Groups[4].Value : current.Penalty, Updated = DateTimeOffset.UtcNow };
                    store.Save(current);
                }
            }
        }
        claim.Dispose(); // rank 0 takes the run lock (no other worker takes a running job meanwhile: one service per home)
        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Line(e.Data, false);
        process.ErrorDataReceived += (_, e) => Line(e.Data, true);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using (cancel.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }))
            process.WaitForExit();
        if (cancel.IsCancellationRequested)
        {
            // The launcher is gone; its ranks die of the same kill a moment later. The record says cancelled (or
            // interrupted) only once rank 0 has let go of the run lock, so no rank outlives what the record says.
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < TimeSpan.FromSeconds(30))
            {
                using (var free = FolderLock.TryAcquire(runDir, FolderLock.Run, out _)) if (free is not null) break;
                Thread.Sleep(50);
            }
            cancel.ThrowIfCancellationRequested();
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException(error ?? $"zoo launch --nproc {record.Spec.Ranks} exited with code {process.ExitCode}");
        lock (progress) record = current;
        Finish(record, JobState.Succeeded, null, record.SucceededLine());
    }

    /// <summary>Rank 0's line for an epoch: "epoch 3/10: train ELBO … | test ELBO -94.20 (rec -75.58, KL 18.61) | …": epoch, bound's name, test figure, penalty's name.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^epoch (\d+)/\d+: .*\| test ([A-Z0-9-]+) (-?[0-9.]+)(?: \(rec -?[0-9.]+, (\S+) )?")]
    private static partial System.Text.RegularExpressions.Regex EpochLine();

    private void Finish(JobRecord record, JobState state, string? reason, string? logLine = null)
    {
        var now = DateTimeOffset.UtcNow;
        // The log line first: whoever follows the log (`zoo logs -f`, the API's stream) stops once the record is final,
        // and must have the last line by then.
        Log(record.Id, logLine ?? $"{state.ToString().ToLowerInvariant()}: {reason}");
        store.Save(record with { State = state, Reason = reason, Finished = now, Updated = now });
        if (state != JobState.Failed) logger.LogInformation("Job {Id} {State}", record.Id, state);
    }

    /// <summary>
    /// A storage failure: the job waits and is tried again from its last checkpoint (intact: checkpoints are written
    /// aside and renamed). Its record says why, when the disk lets it be written.
    /// </summary>
    private void Pause(JobRecord record, string why, Exception e)
    {
        var retry = options.Value.RetryInterval;
        lock (notBefore) notBefore[record.Id] = DateTimeOffset.UtcNow + retry;
        var reason = $"{why} ({e.Message.Split('\n')[0]}); tried again every {retry.TotalSeconds:0.#} s";
        logger.LogWarning("Job {Id} paused: {Reason}", record.Id, reason);
        try { store.Save(record with { State = JobState.Paused, Reason = reason, Updated = DateTimeOffset.UtcNow }); }
        catch (Exception again) when (IoFault.Describe(again) is not null) { }
        Log(record.Id, $"paused: {reason}");
    }

    /// <summary>A line in the job's log.txt; a full or read-only disk loses the line (said in the service log), never the service or the job.</summary>
    private void Log(string id, string line)
    {
        try { store.AppendLog(id, line); }
        catch (Exception e) when (IoFault.Describe(e) is { } why)
        {
            logger.LogWarning("Job {Id}: could not write to log.txt ({Why}): {Line}", id, why, line);
        }
    }

    private RunConfig Bind(JobSpec spec) => RunConfig.Bind(spec.Model, spec.Settings, catalog);

    private static JobSpec? TryReadSpec(string path)
    {
        try { return JobStore.ReadSpec(path); } catch (Exception) { return null; }
    }

    private static string Settings(JobSpec spec) =>
        spec.Settings.Count == 0 ? "(defaults)" : string.Join(" ", spec.Settings.Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>Epoch lines into the job's log and record.</summary>
    private sealed class Observer(JobStore store, ILogger logger, Action<string> log, string id, Func<JobRecord> get, Action<JobRecord> set)
        : ITrainingObserver
    {
        public void EpochStarted(int epoch, int epochs, int batches) { }
        public void BatchDone(int epoch, int batch, double loss) { }

        public void EpochDone(EpochMetrics m)
        {
            var line = string.Create(CultureInfo.InvariantCulture,
                $"epoch {m.Epoch}: train {m.BoundName} {m.TrainElbo:F2} | {(m.ValidElbo is { } v ? $"validation {m.BoundName} {v:F2} | " : "")}test {m.BoundName} {m.TestElbo:F2} (rec {m.TestReconstruction:F2}, {m.Penalty} {m.TestKl:F2}) | active units {m.ActiveUnits} | {m.Seconds:F1} s");
            log(line);
            var r = get() with { Epoch = m.Epoch, TestElbo = m.TestElbo, Bound = m.BoundName, Penalty = m.Penalty, Updated = DateTimeOffset.UtcNow };
            set(r);
            store.Save(r);
            logger.LogInformation("Job {Id} epoch {Epoch}: test {Bound} {TestBound:F2}", id, m.Epoch, m.BoundName, m.TestElbo);
        }

        public void Warning(string message)
        {
            log($"warning: {message}");
            logger.LogWarning("Job {Id}: {Message}", id, message);
        }

        public void Note(string message)
        {
            log(message);
            logger.LogInformation("Job {Id}: {Message}", id, message);
        }
    }
}
