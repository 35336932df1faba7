using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zoo.Cli;
using Zoo.Hosting.Jobs;
using Zoo.Web.Api;

namespace Zoo.Web.Tests;

/// <summary>The HTTP API of `zoo serve --urls`, in process on a free loopback port: every endpoint, its problem details, auth, limits and traversal.</summary>
[Collection("web")]
public class ApiTests
{
    private static async Task<JsonNode> Json(HttpResponseMessage response, HttpStatusCode expected, string? contentType = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(expected, text);
        if (contentType is not null) response.Content.Headers.ContentType!.MediaType.ShouldBe(contentType);
        return JsonNode.Parse(text)!;
    }

    [Fact]
    public async Task Health_plugins_with_their_schemas_run_keys_and_the_OpenAPI_document()
    {
        await using var w = await WebHost.Start();
        var health = await Json(await w.Client.GetAsync("/api/health"), HttpStatusCode.OK);
        health["status"]!.GetValue<string>().ShouldBe("ok");
        health["home"]!.GetValue<string>().ShouldBe(w.Home.Root);

        var plugins = (await Json(await w.Client.GetAsync("/api/plugins"), HttpStatusCode.OK)).AsArray();
        var vae = plugins.Single(p => p!["kind"]!.GetValue<string>() == "model" && p["name"]!.GetValue<string>() == "vae")!;
        var keys = vae["keys"]!.AsArray().ToDictionary(k => k!["name"]!.GetValue<string>(), k => k!);
        keys["encoder"]!["part"]!.GetValue<string>().ShouldBe("encoder");
        keys["encoder"]!["default"]!.GetValue<string>().ShouldBe("gaussian-mlp");
        keys["kl"]!["allowed"]!.AsArray().Select(a => a!.GetValue<string>()).ShouldBe(["analytic", "monte-carlo"]);
        keys["latent"]!["min"]!.GetValue<double>().ShouldBe(1);
        keys["latent"]!["description"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
        plugins.Select(p => p!["kind"]!.GetValue<string>()).Distinct().Order().ShouldBe(["callback", "data", "decoder", "encoder", "likelihood", "model", "prior"]);

        var preset = await Json(await w.Client.GetAsync("/api/plugins/model/bernoulli-vae"), HttpStatusCode.OK);
        preset["runDefaults"]!["likelihood"]!.GetValue<string>().ShouldBe("bernoulli");
        var npy = await Json(await w.Client.GetAsync("/api/plugins/data/npy"), HttpStatusCode.OK);
        npy["fileExtensions"]!.AsArray().Select(e => e!.GetValue<string>()).ShouldContain(".npy");
        var missing = await Json(await w.Client.GetAsync("/api/plugins/model/vq-vae"), HttpStatusCode.NotFound, "application/problem+json");
        missing["detail"]!.GetValue<string>().ShouldBe("no model plugin 'vq-vae' (see /api/plugins)");

        var run = (await Json(await w.Client.GetAsync("/api/run-keys"), HttpStatusCode.OK)).AsArray();
        var epochs = run.Single(k => k!["name"]!.GetValue<string>() == "epochs")!;
        (epochs["min"]!.GetValue<double>(), epochs["max"]!.GetValue<double>(), epochs["range"]!.GetValue<string>()).ShouldBe((1, 100000, "[1, 100000]"));
        run.Single(k => k!["name"]!.GetValue<string>() == "dataset")!["part"]!.GetValue<string>().ShouldBe("data");
        run.ShouldNotContain(k => k!["name"]!.GetValue<string>() == "model");

        var openapi = await Json(await w.Client.GetAsync("/openapi/v1.json"), HttpStatusCode.OK);
        var paths = openapi["paths"]!.AsObject().Select(p => p.Key).ToList();
        foreach (var path in new[] { "/api/health", "/api/plugins", "/api/plugins/{kind}/{name}", "/api/run-keys", "/api/jobs", "/api/jobs/{id}", "/api/jobs/{id}/cancel",
                     "/api/jobs/{id}/metrics", "/api/jobs/{id}/config", "/api/jobs/{id}/log", "/api/jobs/{id}/log/stream", "/api/jobs/{id}/pictures", "/api/jobs/{id}/files/{path}" })
            paths.ShouldContain(path);
        openapi["info"]!["title"]!.GetValue<string>().ShouldBe("Zoo training service");
    }

    [Fact]
    public async Task An_invalid_job_gets_problem_details_with_every_problem_by_key_exactly_as_zoo_submit_words_them()
    {
        await using var w = await WebHost.Start();
        string[] cli = ["bernoulli-vae", "latnt=2", "epochs=0", "encoder.hiden=5", "kl=exact"];
        var response = await w.Client.PostAsJsonAsync("/api/jobs", new { model = "bernoulli-vae", settings = new Dictionary<string, object> { ["latnt"] = 2, ["epochs"] = 0, ["encoder.hiden"] = 5, ["kl"] = "exact" } });
        var problem = await Json(response, HttpStatusCode.BadRequest, "application/problem+json");
        problem["title"]!.GetValue<string>().ShouldBe("invalid job");
        var errors = problem["errors"]!.AsObject();
        errors.Select(e => e.Key).Order().ShouldBe(["encoder.hiden", "epochs", "kl", "latnt"]);
        errors["latnt"]![0]!.GetValue<string>().ShouldStartWith("unknown key 'latnt' (did you mean 'latent'?)");
        errors["epochs"]![0]!.GetValue<string>().ShouldBe("epochs = 0 is out of range [1, 100000]");
        problem["problems"]!.AsArray().Count.ShouldBe(4);

        // The same check as `zoo submit`: the same words, from the same code.
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        ZooCommand.Run(["submit", "--home", w.Home.Root, .. cli], stdout, stderr).ShouldBe(1);
        stderr.ToString().Trim().ShouldBe("zoo: error: " + problem["detail"]!.GetValue<string>());

        var unknown = await Json(await w.Client.PostAsJsonAsync("/api/jobs", new { model = "vq-vae" }), HttpStatusCode.BadRequest, "application/problem+json");
        unknown["errors"]!["model"]![0]!.GetValue<string>().ShouldBe("unknown model 'vq-vae' (available: bernoulli-vae, gaussian-vae, iwae, vae, vfae, wae-mmd)");

        var broken = await w.Client.PostAsync("/api/jobs", new StringContent("{ \"model\": ", Encoding.UTF8, "application/json"));
        (await Json(broken, HttpStatusCode.BadRequest))["errors"]!["body"]![0]!.GetValue<string>().ShouldStartWith("not a job file");
        var extra = await w.Client.PostAsync("/api/jobs", new StringContent("{\"model\": \"vae\", \"priority\": 1}", Encoding.UTF8, "application/json"));
        (await Json(extra, HttpStatusCode.BadRequest))["detail"]!.GetValue<string>().ShouldStartWith("unknown field 'priority'");
        var form = await w.Client.PostAsync("/api/jobs", new StringContent("model=vae", Encoding.UTF8, "application/x-www-form-urlencoded"));
        (await Json(form, HttpStatusCode.UnsupportedMediaType, "application/problem+json"))["status"]!.GetValue<int>().ShouldBe(415);

        w.Store.Inbox().ShouldBeEmpty();
        (await w.Client.GetFromJsonAsync<List<JobSummary>>("/api/jobs"))!.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_job_submitted_over_HTTP_trains_and_its_metrics_config_log_stream_pictures_and_files_are_served()
    {
        await using var w = await WebHost.Start();
        var response = await w.Client.PostAsJsonAsync("/api/jobs", new { model = "bernoulli-vae", settings = WebHost.Tiny(epochs: 2) });
        var created = await Json(response, HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        response.Headers.Location!.ToString().ShouldBe($"/api/jobs/{id}");

        // The live log: every line, then the end event with the final state.
        var stream = await w.Client.GetStreamAsync($"/api/jobs/{id}/log/stream");
        var events = new List<(string Type, string Data)>();
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(stream).EnumerateAsync())
        {
            events.Add((item.EventType, item.Data));
            if (item.EventType == "end") break;
        }
        events[^1].ShouldBe(("end", "succeeded"));
        events.Where(e => e.Type == "line").Select(e => e.Data).ShouldContain(l => l.Contains("epoch 2: train ELBO"));

        var job = (await w.Client.GetFromJsonAsync<JobSummary>($"/api/jobs/{id}"))!;
        (job.State, job.Epoch, job.Model).ShouldBe(("succeeded", 2, "bernoulli-vae"));
        (await w.Client.GetFromJsonAsync<List<JobSummary>>("/api/jobs"))!.Single().Id.ShouldBe(id);

        var metrics = (await w.Client.GetFromJsonAsync<MetricsTable>($"/api/jobs/{id}/metrics"))!;
        metrics.Columns.ShouldContain("test_elbo");
        metrics.Columns.ShouldContain("active_units");
        metrics.Rows.Count.ShouldBe(2);
        metrics.Rows.Select(r => r[0]).ShouldBe([1.0, 2.0]);
        metrics.Rows[1][metrics.Columns.ToList().IndexOf("test_elbo")]!.Value.ShouldBe(job.TestElbo!.Value, 0.005);

        var config = (await w.Client.GetFromJsonAsync<RunSettings>($"/api/jobs/{id}/config"))!;
        config.Source.ShouldBe("config.json");
        (config.Values["latent"], config.Values["encoder"], config.Values["encoder.hidden"], config.Values["dataset.train-limit"]).ShouldBe(("2", "gaussian-mlp", "32", "600"));

        (await w.Client.GetStringAsync($"/api/jobs/{id}/log")).ShouldContain("succeeded: test ELBO");

        var pictures = (await w.Client.GetFromJsonAsync<PicturesView>($"/api/jobs/{id}/pictures"))!;
        pictures.Epochs.Select(e => e.Epoch).ShouldBe([1, 2]);
        pictures.Epochs[0].Files.ShouldBe(["epochs/1/reconstructions.png", "epochs/1/samples.png"]);
        pictures.Final.ShouldContain("samples.png");
        pictures.Final.ShouldContain("latent.png");
        // The last epoch's pictures are the final ones (the same model, the same draws).
        var last = await w.Client.GetByteArrayAsync($"/api/jobs/{id}/files/epochs/2/samples.png");
        last[..4].ShouldBe(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' });
        last.ShouldBe(await w.Client.GetByteArrayAsync($"/api/jobs/{id}/files/samples.png"));
        (await w.Client.GetByteArrayAsync($"/api/jobs/{id}/files/epochs/1/samples.png")).ShouldNotBe(last);
        var csv = await w.Client.GetAsync($"/api/jobs/{id}/files/metrics.csv");
        csv.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");

        // Cancel: a finished job is a conflict, an unknown one is not found; both in problem details.
        (await Json(await w.Client.PostAsync($"/api/jobs/{id}/cancel", null), HttpStatusCode.Conflict, "application/problem+json"))["detail"]!
            .GetValue<string>().ShouldBe($"job {id} already succeeded");
        (await Json(await w.Client.PostAsync("/api/jobs/no-such-job/cancel", null), HttpStatusCode.NotFound, "application/problem+json"))["detail"]!
            .GetValue<string>().ShouldStartWith("no job 'no-such-job'");
        foreach (var path in new[] { "", "/metrics", "/config", "/log", "/log/stream", "/pictures", "/files/samples.png" })
            (await w.Client.GetAsync($"/api/jobs/no-such-job{path}")).StatusCode.ShouldBe(HttpStatusCode.NotFound, path);
    }

    [Fact]
    public async Task A_table_run_has_curves_but_no_pictures_per_epoch()
    {
        await using var w = await WebHost.Start();
        var id = await w.Submit("vfae", new Dictionary<string, object> { ["epochs"] = 2 }); // German credit: rows, not pictures
        (await w.WaitFor(id, r => r.IsFinal)).State.ShouldBe(JobState.Succeeded);
        (await w.Client.GetFromJsonAsync<MetricsTable>($"/api/jobs/{id}/metrics"))!.Rows.Count.ShouldBe(2);
        (await w.Client.GetFromJsonAsync<PicturesView>($"/api/jobs/{id}/pictures"))!.Epochs.ShouldBeEmpty();
        Directory.Exists(Path.Combine(w.Store.RunDir(id), "epochs")).ShouldBeFalse();
    }

    [Fact]
    public async Task A_running_job_is_cancelled_over_HTTP_and_stops_at_its_next_batch()
    {
        await using var w = await WebHost.Start();
        var id = await w.Submit("bernoulli-vae", WebHost.Tiny(epochs: 500));
        await w.WaitFor(id, r => r.State == JobState.Running && r.Epoch >= 1);
        var accepted = await Json(await w.Client.PostAsync($"/api/jobs/{id}/cancel", null), HttpStatusCode.Accepted);
        accepted["message"]!.GetValue<string>().ShouldStartWith($"cancel requested for {id} (running)");
        var done = await w.WaitFor(id, r => r.IsFinal, seconds: 60);
        (done.State, done.Reason).ShouldBe((JobState.Cancelled, "cancelled by request"));
        done.Epoch.ShouldBeLessThan(500);
    }

    [Fact]
    public async Task With_a_token_every_API_request_needs_it_as_bearer_and_the_dashboard_files_do_not()
    {
        await using var w = await WebHost.Start(token: "s3cret-token");
        using var anonymous = new HttpClient { BaseAddress = new Uri(w.Url) };
        var refused = await anonymous.GetAsync("/api/jobs");
        (await Json(refused, HttpStatusCode.Unauthorized, "application/problem+json"))["detail"]!.GetValue<string>().ShouldContain("Authorization: Bearer TOKEN");
        refused.Headers.WwwAuthenticate.ToString().ShouldBe("Bearer");
        (await anonymous.GetAsync("/openapi/v1.json")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsJsonAsync("/api/jobs", new { model = "vae" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret-tokem");
        (await Json(await anonymous.GetAsync("/api/health"), HttpStatusCode.Unauthorized))["detail"]!.GetValue<string>().ShouldBe("the bearer token is not this service's token");
        (await w.Client.GetAsync("/api/jobs")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var page = await anonymous.GetAsync("/");
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await page.Content.ReadAsStringAsync()).ShouldContain("<title>Zoo training service</title>");
        (await anonymous.GetAsync("/vendor/uPlot.iife.min.js")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Off_loopback_the_service_refuses_to_start_without_a_token_and_serves_with_one()
    {
        var e = await Should.ThrowAsync<InvalidOperationException>(() => WebHost.Start(url: "http://0.0.0.0:0"));
        e.Message.ShouldBe("--urls http://0.0.0.0:0 binds a non-loopback address, which needs a token: set ZOO_TOKEN or --token-file FILE " +
                           "(clients send it as 'Authorization: Bearer TOKEN'); or bind 127.0.0.1");
        (await Should.ThrowAsync<InvalidOperationException>(() => WebHost.Start(url: "http://*:0"))).Message.ShouldContain("needs a token");
        await using var w = await WebHost.Start(token: "t0ken", url: "http://0.0.0.0:0");
        (await w.Client.GetAsync("/api/health")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Without_a_token_only_loopback_host_names_and_same_origin_changes_are_served()
    {
        await using var w = await WebHost.Start();
        var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/jobs") { Headers = { Host = "attacker.example" } };
        (await Json(await w.Client.SendAsync(rebound), HttpStatusCode.Forbidden, "application/problem+json"))["title"]!.GetValue<string>().ShouldBe("not a loopback host");
        var localhost = new HttpRequestMessage(HttpMethod.Get, "/api/jobs") { Headers = { Host = "localhost:5080" } };
        (await w.Client.SendAsync(localhost)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var crossSite = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = JsonContent.Create(new { model = "vae" }) };
        crossSite.Headers.Add("Origin", "http://attacker.example");
        (await Json(await w.Client.SendAsync(crossSite), HttpStatusCode.Forbidden))["title"]!.GetValue<string>().ShouldBe("cross-origin request");
        var sameSite = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = JsonContent.Create(new { model = "vq-vae" }) };
        sameSite.Headers.Add("Origin", w.Url);
        (await w.Client.SendAsync(sameSite)).StatusCode.ShouldBe(HttpStatusCode.BadRequest); // through to the validation
    }

    [Fact]
    public async Task Requests_over_the_size_limits_are_refused()
    {
        await using var w = await WebHost.Start(maxBody: 4096);
        var big = JsonSerializer.Serialize(new { model = "vae", settings = new Dictionary<string, string> { ["encoder.hidden"] = string.Join(",", Enumerable.Repeat("8", 5000)) } });
        var response = await w.Client.PostAsync("/api/jobs", new StringContent(big, Encoding.UTF8, "application/json"));
        (await Json(response, HttpStatusCode.RequestEntityTooLarge, "application/problem+json"))["detail"]!.GetValue<string>().ShouldBe("the request body is over the limit of 4096 bytes");
        var headers = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        headers.Headers.Add("X-Padding", new string('x', 40_000));
        (await w.Client.SendAsync(headers)).StatusCode.ShouldBe(HttpStatusCode.RequestHeaderFieldsTooLarge);
        w.Store.Inbox().ShouldBeEmpty();
    }

    [Fact]
    public async Task Run_files_are_served_only_from_inside_the_run_folder()
    {
        await using var w = await WebHost.Start();
        var id = await w.Submit("bernoulli-vae", WebHost.Tiny(epochs: 1));
        await w.WaitFor(id, r => r.IsFinal);
        File.WriteAllText(Path.Combine(w.Home.Root, "secret.txt"), "HOME-SECRET");
        var outside = Path.Combine(Path.GetTempPath(), "zoo-outside-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "stolen.txt"), "OUTSIDE-CONTENT");
        Directory.CreateSymbolicLink(Path.Combine(w.Store.RunDir(id), "linked"), outside);
        File.CreateSymbolicLink(Path.Combine(w.Store.RunDir(id), "passwd.txt"), "/etc/passwd");
        try
        {
            (await w.Client.GetStringAsync($"/api/jobs/{id}/files/log.txt")).ShouldContain("succeeded");
            foreach (var path in new[]
                     {
                         $"/api/jobs/{id}/files/../../secret.txt", $"/api/jobs/{id}/files/..%2F..%2Fsecret.txt", $"/api/jobs/{id}/files/%2e%2e/%2e%2e/secret.txt",
                         $"/api/jobs/{id}/files/..%5C..%5Csecret.txt", $"/api/jobs/{id}/files/%2Fetc%2Fpasswd", $"/api/jobs/{id}/files//etc/passwd",
                         $"/api/jobs/{id}/files/linked/stolen.txt", $"/api/jobs/{id}/files/passwd.txt", $"/api/jobs/{id}/files/checkpoint/state.json",
                         $"/api/jobs/{id}/files/checkpoint/model.safetensors", $"/api/jobs/{id}/files/job.json.quarantined",
                         $"/api/jobs/..%2F{id}/files/log.txt", "/api/jobs/..%2F..%2Fsecret.txt/files/x.png", "/api/jobs/%2e%2e/files/secret.txt",
                     })
            {
                var response = await w.Client.GetAsync(path);
                var body = await response.Content.ReadAsStringAsync();
                response.IsSuccessStatusCode.ShouldBeFalse($"{path}: {body}");
                body.ShouldNotContain("HOME-SECRET");
                body.ShouldNotContain("OUTSIDE-CONTENT");
                body.ShouldNotContain("root:");
                if (response.StatusCode != HttpStatusCode.NotFound) response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json", path);
            }
        }
        finally { Directory.Delete(outside, true); }
    }

    [Fact]
    public async Task The_zoo_command_talks_to_a_remote_service_with_server()
    {
        await using var w = await WebHost.Start();
        var (code, stdout, stderr) = Zoo("submit", "--server", w.Url, "bernoulli-vae", "latnt=2");
        (code, stdout).ShouldBe((1, ""));
        stderr.Trim().ShouldBe("zoo: error: bernoulli-vae config: unknown key 'latnt' (did you mean 'latent'?); known keys: likelihood, prior, encoder, decoder, latent, kl, " +
                               "samples, beta, kl-warmup, free-bits, epochs, batch-size, learning-rate, lr-schedule, lr-step-epochs, lr-gamma, lr-min, early-stopping, clip-grad-norm, seed, min-active-units, dataset");
        string[] tiny = ["dataset.train-limit=600", "dataset.test-limit=200", "encoder.hidden=32", "decoder.hidden=32", "latent=2", "epochs=1", "batch-size=50"];
        (code, stdout, stderr) = Zoo(["submit", "--server", w.Url, "bernoulli-vae", .. tiny]);
        (code, stderr).ShouldBe((0, ""));
        var id = stdout.Split(' ')[1];
        stdout.ShouldStartWith($"submitted {id} (bernoulli-vae) to {w.Url}");
        (code, stdout, _) = Zoo("logs", "--server", w.Url, id, "-f");
        code.ShouldBe(0);
        stdout.ShouldContain("epoch 1: train ELBO");
        stdout.TrimEnd().ShouldEndWith("nats after 1 epoch");
        (code, stdout, _) = Zoo("jobs", "--server", w.Url);
        code.ShouldBe(0);
        stdout.ShouldContain(id);
        stdout.ShouldContain("succeeded");
        stdout.ShouldContain("test bound");
        stdout.Split('\n').Single(l => l.StartsWith(id)).ShouldMatch(@" -?\d+\.\d\d ELBO  ");  // the figure names its bound
        (code, _, stderr) = Zoo("cancel", "--server", w.Url, id);
        (code, stderr.Trim()).ShouldBe((1, $"zoo: error: {w.Url}: 409 job {id} already succeeded"));
        (code, _, stderr) = Zoo("logs", "--server", w.Url, "nope");
        (code, stderr.Trim()).ShouldBe((1, $"zoo: error: no job 'nope' in {w.Home.Runs} (see `zoo jobs`)"));
        (code, _, stderr) = Zoo("jobs", "--server", "http://127.0.0.1:1");
        code.ShouldBe(1);
        stderr.ShouldStartWith("zoo: error: cannot reach zoo serve at http://127.0.0.1:1");
        (code, _, stderr) = Zoo("jobs", "--server", "ftp://x");
        (code, stderr.Trim()).ShouldBe((1, "zoo: error: --server: 'ftp://x' is not an http:// or https:// URL (e.g. http://127.0.0.1:5080)"));

        static (int, string, string) Zoo(params string[] args)
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = ZooCommand.Run(args, stdout, stderr);
            return (code, stdout.ToString(), stderr.ToString());
        }
    }
}
