using Microsoft.Playwright;
using Xunit.Abstractions;
using Zoo.Hosting.Jobs;
using static Microsoft.Playwright.Assertions;

namespace Zoo.Web.Tests;

/// <summary>
/// The dashboard in a real browser: Debian's headless Chromium driven by Playwright (the driver bundled in the
/// Microsoft.Playwright package; no browser download), against `zoo serve --urls` on loopback in this process.
/// </summary>
[Collection("web")]
public class DashboardBrowserTests(ITestOutputHelper output)
{
    /// <summary>Debian's chromium package; scripts/test.sh installs it (ZOO_APT_EXTRA=chromium for scripts/setup.sh). ZOO_CHROMIUM overrides.</summary>
    private static string Chromium => Environment.GetEnvironmentVariable("ZOO_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>Where the screenshots go: beside the test assembly (the README's copy is docs/images/dashboard-run.png).</summary>
    public static string ScreenshotDir => Path.Combine(AppContext.BaseDirectory, "screenshots");

    /// <summary>The form went through: the page moved to the new job's run page (a hash change, no load), else the form's problem.</summary>
    private static async Task Opened(IPage page)
    {
        try { await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("#/jobs/.+")); }
        catch (PlaywrightException) { throw new ShouldAssertException($"no run page after submitting: {await page.Locator("#form-problem").TextContentAsync()}"); }
    }

    [Fact]
    public async Task The_dashboard_submits_a_job_through_the_form_shows_its_curves_grow_and_pictures_checks_fields_and_cancels_a_running_job()
    {
        File.Exists(Chromium).ShouldBeTrue($"{Chromium} not found: install Debian's chromium (scripts/test.sh does) or set ZOO_CHROMIUM");
        await using var w = await WebHost.Start();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
        var consoleErrors = new List<string>();
        // The refused submission below is a 400 the browser reports; anything else in the console is a fault of the page.
        page.Console += (_, m) => { if (m.Type == "error" && !m.Text.Contains("status of 400 (Bad Request)")) consoleErrors.Add(m.Text); };
        page.PageError += (_, e) => consoleErrors.Add(e);
        page.SetDefaultTimeout(30_000);
        Assertions.SetDefaultExpectTimeout(30_000);

        // The form is generated from the schema: the model's parts are drop-downs with their keys nested under them.
        await page.GotoAsync(w.Url + "/#/submit");
        await page.SelectOptionAsync("#model", "bernoulli-vae");
        await Expect(page.Locator("select[name='encoder']")).ToHaveValueAsync("gaussian-mlp");
        await Expect(page.Locator("select[name='likelihood']")).ToHaveValueAsync("bernoulli"); // the preset's run default
        await Expect(page.Locator(".nested[data-part='encoder'] input[name='encoder.hidden']")).ToHaveAttributeAsync("placeholder", "500,500");
        await Expect(page.Locator("select[name='dataset']")).ToHaveValueAsync("mnist");
        await Expect(page.Locator("select[name='dataset.binarize']")).ToBeVisibleAsync();
        await page.SelectOptionAsync("select[name='prior']", "standard-normal");

        // A range is checked before sending: nothing reaches the service.
        await page.FillAsync("input[name='epochs']", "0");
        await page.ClickAsync("#submit-job");
        await Expect(page.Locator(".field[data-key='epochs'] .problem")).ToHaveTextAsync("epochs = 0 is out of range [1, 100000]");
        w.Store.Inbox().ShouldBeEmpty();
        (await w.Client.GetStringAsync("/api/jobs")).ShouldBe("[]");

        // An invalid key goes to the service, whose problem comes back next to the field it was meant for.
        await page.FillAsync("input[name='epochs']", "4");
        await page.FillAsync("textarea[name='settings']", "latnt=2");
        await page.ClickAsync("#submit-job");
        await Expect(page.Locator(".field[data-key='latent'] .problem")).ToContainTextAsync("unknown key 'latnt' (did you mean 'latent'?)");
        await Expect(page.Locator("#form-problem")).ToContainTextAsync("The service refused the job: 1 problem(s)");
        await Expect(page.Locator(".field[data-key='epochs'] .problem")).ToBeEmptyAsync();
        Directory.CreateDirectory(ScreenshotDir);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDir, "dashboard-submit.png"), FullPage = true });

        // A job through the form: 30,000 digits, so that each epoch takes long enough to be seen.
        await page.FillAsync("textarea[name='settings']", "");
        await page.FillAsync("input[name='latent']", "8");
        await page.FillAsync("input[name='dataset.train-limit']", "30000");
        await page.FillAsync("input[name='dataset.test-limit']", "1000");
        await page.ClickAsync("#submit-job");
        await Opened(page);
        var id = Uri.UnescapeDataString(page.Url.Split("#/jobs/")[1]);
        (await w.WaitFor(id, _ => true)).Spec.Settings.ShouldBe(new Dictionary<string, string>
        {
            ["epochs"] = "4", ["latent"] = "8", ["dataset.train-limit"] = "30000", ["dataset.test-limit"] = "1000",
        }, ignoreOrder: true);

        // The ELBO curve gains a point per epoch while the job runs.
        var elbo = page.Locator(".chart[data-chart='ELBO (nats)']");
        var seen = new List<int>();
        var started = DateTime.UtcNow;
        while (DateTime.UtcNow - started < TimeSpan.FromSeconds(120))
        {
            if (await elbo.CountAsync() == 1 && int.TryParse(await elbo.GetAttributeAsync("data-points"), out var points) && (seen.Count == 0 || seen[^1] != points))
                seen.Add(points);
            if (seen.Count > 0 && seen[^1] == 4) break;
            await Task.Delay(100);
        }
        output.WriteLine($"ELBO chart points seen while the job ran: {string.Join(", ", seen)}");
        seen.ShouldBe(seen.Order().ToList(), $"points seen: {string.Join(", ", seen)}");
        seen[^1].ShouldBe(4, $"points seen: {string.Join(", ", seen)}");
        seen.Count.ShouldBeGreaterThanOrEqualTo(2, $"the curve should grow while the job runs; points seen: {string.Join(", ", seen)}");
        await Expect(page.Locator(".chart[data-chart='KL (nats)']")).ToHaveAttributeAsync("data-points", "4");
        await Expect(page.Locator(".chart[data-chart='active units']")).ToHaveAttributeAsync("data-points", "4"); // a callback's figure

        // The pictures of each epoch, the last one shown, and an epoch slider.
        var samples = page.Locator("#pictures img[data-file='epochs/4/samples.png']");
        await Expect(samples).ToBeVisibleAsync();
        (await samples.EvaluateAsync<int>("img => img.naturalWidth")).ShouldBeGreaterThan(100);
        await Expect(page.Locator("#epoch-label")).ToHaveTextAsync("epoch 4 of 4");
        await page.Locator("#epoch-slider").FillAsync("2");
        await Expect(page.Locator("#pictures img[data-file='epochs/2/samples.png']")).ToBeVisibleAsync();
        await page.Locator("#epoch-slider").FillAsync("4");
        await Expect(page.Locator(".meta [data-state]")).ToHaveTextAsync("succeeded");
        await Expect(page.Locator("#log")).ToContainTextAsync("succeeded: test ELBO");
        await Expect(page.Locator("#cancel")).ToBeDisabledAsync();
        Directory.CreateDirectory(ScreenshotDir);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDir, "dashboard-run.png"), FullPage = true });

        // Cancel a running job from its page.
        await page.GotoAsync(w.Url + "/#/submit");
        await page.SelectOptionAsync("#model", "bernoulli-vae");
        await page.FillAsync("input[name='epochs']", "1000");
        await page.FillAsync("input[name='dataset.train-limit']", "600");
        await page.FillAsync("input[name='dataset.test-limit']", "200");
        await page.ClickAsync("#submit-job");
        await Opened(page);
        var longId = Uri.UnescapeDataString(page.Url.Split("#/jobs/")[1]);
        await Expect(page.Locator(".meta [data-state]")).ToHaveTextAsync("running");
        await Expect(page.Locator("#cancel")).ToBeEnabledAsync();
        await page.ClickAsync("#cancel");
        await Expect(page.Locator(".meta [data-state]")).ToHaveTextAsync("cancelled");
        await Expect(page.Locator("#log")).ToContainTextAsync("— job cancelled —");
        var cancelled = w.Store.Find(longId).ShouldNotBeNull();
        (cancelled.State, cancelled.Reason).ShouldBe((JobState.Cancelled, "cancelled by request"));
        cancelled.Epoch.ShouldBeLessThan(1000);

        // The job list shows both with their states; two runs side by side on the comparison page.
        await page.GotoAsync(w.Url + "/#/");
        await Expect(page.Locator($"tr[data-job='{id}'] [data-state]")).ToHaveTextAsync("succeeded");
        await Expect(page.Locator($"tr[data-job='{longId}'] [data-state]")).ToHaveTextAsync("cancelled");
        await page.GotoAsync(w.Url + $"/#/compare?ids={id},{longId}");
        await Expect(page.Locator("#differing-keys")).ToContainTextAsync("dataset.train-limit");
        await Expect(page.Locator("#differing-keys")).ToContainTextAsync("30000");
        // One x axis for both: up to the longer run's last epoch.
        var compared = page.Locator("#compare-charts .chart[data-chart='test elbo']");
        await Expect(compared).ToHaveAttributeAsync("data-points", new System.Text.RegularExpressions.Regex("^[1-9][0-9]*$"));
        int.Parse((await compared.GetAttributeAsync("data-points"))!).ShouldBe(Math.Max(4, w.Store.Find(longId)!.Epoch));
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDir, "dashboard-compare.png"), FullPage = true });
        consoleErrors.ShouldBeEmpty();
    }
    [Fact]
    public async Task With_a_token_the_dashboard_asks_for_it_once_and_then_shows_the_jobs_and_their_pictures()
    {
        File.Exists(Chromium).ShouldBeTrue($"{Chromium} not found: install Debian's chromium (scripts/test.sh does) or set ZOO_CHROMIUM");
        await using var w = await WebHost.Start(token: "tab-token");
        var id = await w.Submit("bernoulli-vae", WebHost.Tiny(epochs: 1));
        await w.WaitFor(id, r => r.IsFinal);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(w.Url + "/#/");
        await Expect(page.Locator("#token-banner")).ToBeVisibleAsync();
        await Expect(page.Locator("#health")).ToHaveTextAsync("token needed");
        await page.FillAsync("#token-input", "tab-token");
        await page.ClickAsync("#token-form button");
        await Expect(page.Locator("#token-banner")).ToBeHiddenAsync();
        await Expect(page.Locator($"tr[data-job='{id}'] [data-state]")).ToHaveTextAsync("succeeded", new() { Timeout = 30_000 });
        await page.ClickAsync($"tr[data-job='{id}'] a");
        // Pictures and the log stream need the token too: they are fetched with it, not by <img src> or EventSource.
        var samples = page.Locator("#pictures img[data-file='epochs/1/samples.png']");
        await Expect(samples).ToBeVisibleAsync();
        (await samples.EvaluateAsync<int>("img => img.naturalWidth")).ShouldBeGreaterThan(100);
        await Expect(page.Locator("#log")).ToContainTextAsync("— job succeeded —");
        await page.GotoAsync(w.Url + "/#/jobs/no-such-job");
        await Expect(page.Locator("#job-missing")).ToHaveTextAsync($"no job 'no-such-job' in {w.Home.Runs} (see `zoo jobs`)");
    }

    [Fact]
    public async Task A_model_with_its_own_penalty_gets_a_chart_under_that_name()
    {
        File.Exists(Chromium).ShouldBeTrue($"{Chromium} not found: install Debian's chromium (scripts/test.sh does) or set ZOO_CHROMIUM");
        await using var w = await WebHost.Start();
        var id = await w.Submit("wae-mmd", WebHost.Tiny(epochs: 1));
        var record = await w.WaitFor(id, r => r.IsFinal);
        (record.State, record.Bound, record.Penalty).ShouldBe((JobState.Succeeded, "WAE-MMD", "MMD"));
        File.ReadAllText(w.Store.LogPath(id)).ShouldContain("succeeded: test WAE-MMD "); // the objective, not an ELBO
        File.ReadAllText(w.Store.LogPath(id)).ShouldContain(" nats after 1 epoch\n");
        using (var job = System.Text.Json.JsonDocument.Parse(await w.Client.GetStringAsync($"/api/jobs/{id}")))
        {
            job.RootElement.GetProperty("penalty").GetString().ShouldBe("MMD", "the job names metrics.csv's train_kl / test_kl term");
            job.RootElement.GetProperty("bound").GetString().ShouldBe("WAE-MMD");
        }
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(w.Url + $"/#/jobs/{Uri.EscapeDataString(id)}");
        await Expect(page.Locator(".chart[data-chart='MMD (nats)']")).ToHaveAttributeAsync("data-points", "1");
        await Expect(page.Locator(".chart[data-chart='WAE-MMD (nats)']")).ToHaveAttributeAsync("data-points", "1"); // the objective, from metrics.csv's columns
        await Expect(page.Locator(".chart[data-chart='KL (nats)']")).ToHaveCountAsync(0);
        await Expect(page.Locator(".meta")).ToContainTextAsync("test WAE-MMD");
        await page.GotoAsync(w.Url + "/#/");  // the job list names each row's bound beside its figure
        await Expect(page.Locator($"tr[data-job='{id}'] [data-test-figure]")).ToContainTextAsync(" WAE-MMD");
        await Expect(page.Locator("#jobs thead")).ToContainTextAsync("test bound");
        Directory.CreateDirectory(ScreenshotDir);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDir, "dashboard-wae.png"), FullPage = true });
    }
}
