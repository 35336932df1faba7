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
