using Zoo.Hosting.Jobs;

namespace Zoo.Hosting.Tests;

/// <summary>A job file's settings: the command line's keys, or the same tree nested as a run's config.json is.</summary>
public class JobSpecTests
{
    private static JobSpec Read(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"zoo-job-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        try { return JobStore.ReadSpec(path); }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Flat_and_nested_settings_read_as_the_same_keys()
    {
        var flat = Read("""{"model": "vae", "settings": {"epochs": "5", "encoder": "gaussian-mlp", "encoder.hidden": "200,200", "dataset": "mnist", "dataset.binarize": "stochastic"}}""");
        var nested = Read("""{"model": "vae", "settings": {"epochs": 5, "encoder": {"name": "gaussian-mlp", "hidden": [200, 200]}, "dataset": {"name": "mnist", "binarize": "stochastic"}}}""");
        nested.Model.ShouldBe("vae");
        nested.Settings.OrderBy(kv => kv.Key).ShouldBe(flat.Settings.OrderBy(kv => kv.Key));
    }

    [Theory]
    [InlineData("""{"settings": {}}""", "expected {\"model\": NAME")]
    [InlineData("""{"model": "vae", "settings": [1]}""", "expected {\"model\": NAME")]
    [InlineData("""{"model": "vae", "settings": {""", "not a job file")]
    public void A_malformed_job_file_is_one_line_naming_it(string json, string problem)
    {
        var e = Should.Throw<InvalidDataException>(() => Read(json));
        e.Message.ShouldContain("zoo-job-");
        e.Message.ShouldContain(problem);
        e.Message.ShouldNotContain("\n");
    }
}

/// <summary>What one bad record, a stray file name or a second service must not do to the queue.</summary>
[Collection("jobs")]
public class JobIsolationTests
{
    [Fact]
    public void Unreadable_records_are_quarantined_and_listed_and_other_jobs_still_run()
    {
        using var t = new TestHome();
        var store = new JobStore(t.Home);
        foreach (var (id, text) in new[] { ("empty", ""), ("garbage", "\u0001\u0002{{"), ("truncated", "{\"id\": \"trunc") })
        {
            Directory.CreateDirectory(store.RunDir(id));
            File.WriteAllText(store.RecordPath(id), text);
        }
        var all = store.All();
        all.Where(r => r.State == JobState.Quarantined).Select(r => r.Id).Order().ShouldBe(["empty", "garbage", "truncated"]);
        all.ShouldAllBe(r => r.IsFinal);
        foreach (var id in new[] { "empty", "garbage", "truncated" })
        {
            File.Exists(store.RecordPath(id)).ShouldBeFalse();
            File.Exists(store.RecordPath(id) + ".quarantined").ShouldBeTrue();
            all.Single(r => r.Id == id).Reason!.ShouldContain("malformed job record");
        }
        store.All().Count.ShouldBe(3); // listed again from the quarantined file, not re-quarantined
    }

    [Fact]
    public void Inbox_files_match_json_in_any_case_and_unknown_fields_are_rejected()
    {
        using var t = new TestHome();
        var store = new JobStore(t.Home);
        Directory.CreateDirectory(t.Home.Inbox);
        File.WriteAllText(Path.Combine(t.Home.Inbox, "UPPER.JSON"), """{"model": "vae", "settings": {}}""");
        File.WriteAllText(Path.Combine(t.Home.Inbox, "notes.txt"), "not a job");
        store.Inbox().Select(j => j.Id).ShouldBe(["UPPER"]);
        var typo = Path.Combine(t.Home.Inbox, "typo.json");
        File.WriteAllText(typo, """{"model": "bernoulli-vae", "latentt": 20}""");
        Should.Throw<InvalidDataException>(() => JobStore.ReadSpec(typo)).Message.ShouldContain("unknown field 'latentt'");
        File.WriteAllText(typo, """{"model": "vae", "settings": {"latent": 2, "latent": 3}}""");
        Should.Throw<InvalidDataException>(() => JobStore.ReadSpec(typo)).Message.ShouldStartWith(typo + ": ");
    }

    [Fact]
    public void A_second_service_on_the_same_home_is_refused_naming_the_holder()
    {
        using var t = new TestHome();
        using (HomeLock.Acquire(t.Home))
        {
            // The lock is per open file description, so a second acquisition in this process conflicts as another process would.
            Should.Throw<InvalidOperationException>(() => HomeLock.Acquire(t.Home)).Message
                .ShouldBe($"another zoo serve (PID {Environment.ProcessId}) is running in {t.Home.Root}; one service per home");
        }
        using var again = HomeLock.Acquire(t.Home); // released on dispose
    }
}
