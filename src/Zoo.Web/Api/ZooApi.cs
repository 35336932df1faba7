using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Hosting;
using Zoo.Hosting.Jobs;

namespace Zoo.Web.Api;

/// <summary>
/// The HTTP API under /api: the service's health, the plugins with their config schemas, and the jobs (list, get,
/// submit, cancel, metrics, config, log and its live stream, pictures and result files). Every error is a problem
/// details response (RFC 7807); an invalid job lists every problem under the key it is about.
/// </summary>
public static class ZooApi
{
    /// <summary>How often a live log stream looks for new lines.</summary>
    public static TimeSpan LogPoll { get; set; } = TimeSpan.FromMilliseconds(250);

    public static void MapZooApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");

        api.MapGet("/health", (JobStore store, IEnumerable<IHostedService> hosted, PluginCatalog catalog) =>
        {
            var service = hosted.OfType<JobService>().FirstOrDefault();
            var stopped = service is null || service.ExecuteTask is { IsCompleted: true };
            var jobs = JobSummary.List(store).GroupBy(j => j.State).ToDictionary(g => g.Key, g => g.Count());
            var health = new Health(stopped ? "stopped" : "ok", service?.Faulted, store.Home.Root, catalog.All.Count, jobs);
            return stopped ? Results.Json(health, statusCode: StatusCodes.Status503ServiceUnavailable) : Results.Ok(health);
        }).WithSummary("The service's health: ok while the job service runs (503 with the reason once it stopped), the home, plugins loaded, jobs by state");

        api.MapGet("/plugins", (PluginCatalog catalog) => catalog.All.Select(SchemaViews.Plugin).ToList())
            .WithSummary("Every plugin by family and name with its config schema: each key's type, default, range or allowed values, description, and the family of a part key");
        api.MapGet("/plugins/{kind}/{name}", Results<Ok<PluginView>, ProblemHttpResult> (string kind, string name, PluginCatalog catalog) =>
            catalog.All.FirstOrDefault(p => PluginCatalog.Family(p.Kind) == kind && p.Name == name) is { } plugin
                ? TypedResults.Ok(SchemaViews.Plugin(plugin))
                : TypedResults.Problem($"no {kind} plugin '{name}' (see /api/plugins)", statusCode: 404, title: "unknown plugin"))
            .WithSummary("One plugin and its config schema");
        api.MapGet("/run-keys", () => RunConfig.Schema.Keys.Where(k => k.Name != "model").Select(SchemaViews.Key).ToList())
            .WithSummary("The keys every run has (training and data), beside the model's own keys");

        api.MapGet("/jobs", (JobStore store) => JobSummary.List(store)).WithSummary("Every job: waiting in the inbox (submitted), then by submission time");
        api.MapGet("/jobs/{id}", Results<Ok<JobSummary>, ProblemHttpResult> (string id, JobStore store) =>
            Find(store, id) is { } job ? TypedResults.Ok(job) : NotFound(store, id)).WithSummary("One job");

        api.MapPost("/jobs", Submit).WithSummary("Queue a job: {\"model\": NAME, \"settings\": {KEY: VALUE}}, checked exactly as `zoo submit` checks it")
            .Accepts<JobRequest>("application/json")
            .Produces<Submitted>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        api.MapPost("/jobs/{id}/cancel", Results<Accepted<CancelResult>, ProblemHttpResult> (string id, JobStore store) =>
        {
            if (!JobStore.IsValidId(id)) return NotFound(store, id);
            try
            {
                var outcome = store.Cancel(id);
                return TypedResults.Accepted($"/api/jobs/{id}", new CancelResult(id, outcome.Message));
            }
            catch (JobNotFoundException e) { return TypedResults.Problem(e.Message, statusCode: 404, title: "no such job"); }
            catch (InvalidOperationException e) { return TypedResults.Problem(e.Message, statusCode: 409, title: "job already finished"); }
        }).WithSummary("Cancel a job: one still in the inbox is removed; a running one stops at its next batch, keeping its checkpoint");

        api.MapGet("/jobs/{id}/metrics", Results<Ok<MetricsTable>, ProblemHttpResult> (string id, JobStore store) =>
            Known(store, id) ? TypedResults.Ok(MetricsTable.Read(Path.Combine(store.RunDir(id), "metrics.csv"))) : NotFound(store, id))
            .WithSummary("The run's metrics.csv as columns and rows (one row per finished epoch; any figure a callback adds is a column)");

        api.MapGet("/jobs/{id}/config", Results<Ok<RunSettings>, ProblemHttpResult> (string id, JobStore store, PluginCatalog catalog) =>
        {
            if (!Known(store, id)) return NotFound(store, id);
            var path = Path.Combine(store.RunDir(id), "config.json");
            if (File.Exists(path))
            {
                // Bound again, so the keys are the command line's (the model's keys at the top level, parts as PART.KEY).
                try { return TypedResults.Ok(new RunSettings("config.json", RunConfig.FromJson(File.ReadAllText(path), path, catalog).Values())); }
                catch (ArgumentException e)
                {
                    return TypedResults.Problem(e.Message, statusCode: StatusCodes.Status409Conflict, title: "config.json does not bind here");
                }
            }
            return TypedResults.Ok(new RunSettings("submitted settings", Find(store, id)!.Settings));
        }).WithSummary("The run's every key as text, at the command line's level (from its config.json once training started, else the settings it was submitted with)");

        api.MapGet("/jobs/{id}/log", Results<ContentHttpResult, ProblemHttpResult> (string id, JobStore store) =>
        {
            if (!Known(store, id)) return NotFound(store, id);
            var path = store.LogPath(id);
            return TypedResults.Text(File.Exists(path) ? ReadShared(path, 0, out _) : "", "text/plain; charset=utf-8");
        }).WithSummary("The job's log so far (text)");

        api.MapGet("/jobs/{id}/log/stream", Results<ServerSentEventsResult<string>, ProblemHttpResult> (string id, JobStore store, CancellationToken aborted) =>
            Known(store, id) ? TypedResults.ServerSentEvents(FollowLog(store, id, aborted)) : NotFound(store, id))
            .WithSummary("The job's log as server-sent events: a 'line' event per line, old and new, then one 'end' event when the job has finished");

        api.MapGet("/jobs/{id}/pictures", Results<Ok<PicturesView>, ProblemHttpResult> (string id, JobStore store) =>
            Known(store, id) ? TypedResults.Ok(RunFiles.Pictures(store, id)) : NotFound(store, id))
            .WithSummary("The run's pictures: the final ones and each epoch's (paths for /api/jobs/{id}/files/{path})");

        api.MapGet("/jobs/{id}/files/{**path}", IResult (string id, string path, JobStore store) =>
        {
            if (!Known(store, id)) return NotFound(store, id);
            if (RunFiles.Resolve(store, id, path, out var refusal) is not { } full)
                return TypedResults.Problem(refusal, statusCode: StatusCodes.Status400BadRequest, title: "file refused");
            return File.Exists(full)
                ? TypedResults.PhysicalFile(full, RunFiles.ContentTypes[Path.GetExtension(full)], enableRangeProcessing: false)
                : TypedResults.Problem($"job {id} has no file '{path}' (yet)", statusCode: 404, title: "no such file");
        }).WithSummary("A result file of the run (pictures, metrics.csv, config.json, log.txt), only from inside its folder");
    }

    private static async Task<IResult> Submit(HttpRequest request, JobStore store, PluginCatalog catalog)
    {
        // A body that is not application/json never gets here (the endpoint accepts JSON only: 415), so no page on another
        // site can post a job with a plain form.
        string body;
        try
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(request);
        }
        JobSpec spec;
        try { spec = JobStore.ParseSpec(body); }
        catch (InvalidDataException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [e.Message] }, e.Message, title: "not a job");
        }
        try { spec = JobSubmission.Check(catalog, spec.Model, spec.Settings.ToList(), spec.Ranks); }
        catch (ConfigException e)
        {
            return TypedResults.ValidationProblem(ConfigProblems.ByKey(e.Problems), e.Message, title: "invalid job",
                extensions: new Dictionary<string, object?> { ["problems"] = e.Problems });
        }
        catch (ArgumentException e) // an unknown model: the catalog's one line
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["model"] = [e.Message] }, e.Message, title: "invalid job",
                extensions: new Dictionary<string, object?> { ["problems"] = new[] { e.Message } });
        }
        var id = store.Submit(spec);
        return TypedResults.Created($"/api/jobs/{id}", new Submitted(id, spec.Model, $"/api/jobs/{id}"));
    }

    /// <summary>A body over the limit (Kestrel's own 413 has no body; this one says the limit).</summary>
    public static IResult TooLarge(HttpRequest request)
    {
        var limit = request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        return TypedResults.Problem($"the request body is over the limit of {limit} bytes", statusCode: StatusCodes.Status413PayloadTooLarge, title: "request too large");
    }

    private static JobSummary? Find(JobStore store, string id) => JobSummary.Find(store, id);

    private static bool Known(JobStore store, string id) => Find(store, id) is not null;

    private static ProblemHttpResult NotFound(JobStore store, string id) =>
        TypedResults.Problem(JobStore.IsValidId(id) ? store.NotFound(id).Message : $"'{id}' is not a job id", statusCode: 404, title: "no such job");

    /// <summary>The log's lines from the start, then new ones as they are written, until the job is final and all is read.</summary>
    private static async IAsyncEnumerable<SseItem<string>> FollowLog(JobStore store, string id, [EnumeratorCancellation] CancellationToken aborted)
    {
        long offset = 0;
        var partial = "";
        while (!aborted.IsCancellationRequested)
        {
            // Before reading: the service writes a job's last line before its final state, so that line is read below.
            var final = store.Find(id) is { IsFinal: true };
            if (!final && JobSummary.Find(store, id) is null)
            {
                yield return new SseItem<string>("gone", "end"); // taken out of the inbox by a cancel: it will never run
                yield break;
            }
            var path = store.LogPath(id);
            if (File.Exists(path))
            {
                var text = partial + ReadShared(path, offset, out offset);
                var lines = text.Split('\n');
                partial = lines[^1]; // a line being written: sent once it ends
                foreach (var line in lines[..^1]) yield return new SseItem<string>(line, "line");
            }
            if (final)
            {
                yield return new SseItem<string>(store.Find(id)!.State.ToString().ToLowerInvariant(), "end");
                yield break;
            }
            try { await Task.Delay(LogPoll, aborted); }
            catch (OperationCanceledException) { yield break; }
        }
    }

    private static string ReadShared(string path, long from, out long to)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (f.Length < from) from = 0;
        f.Seek(from, SeekOrigin.Begin);
        using var reader = new StreamReader(f, Encoding.UTF8);
        var text = reader.ReadToEnd();
        to = f.Position;
        return text;
    }
}

public sealed record Health(string Status, string? Reason, string Home, int Plugins, IReadOnlyDictionary<string, int> Jobs);
/// <summary>The body of POST /api/jobs (for the OpenAPI document; the body is read by <see cref="JobStore.ParseSpec"/>, as an inbox file is).</summary>
public sealed record JobRequest(string Model, IReadOnlyDictionary<string, System.Text.Json.Nodes.JsonNode?>? Settings, int? Ranks = null);
public sealed record Submitted(string Id, string Model, string Location);
public sealed record CancelResult(string Id, string Message);
public sealed record RunSettings(string Source, IReadOnlyDictionary<string, string> Values);
