using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Zoo.Cli;
using Zoo.Hosting;
using Zoo.Hosting.Jobs;

namespace Zoo.Web.Tests;

/// <summary>
/// `zoo serve --urls` in this process: the web host with the job service over a temporary home, on a free loopback
/// port (or the <paramref name="url"/> given), and a client for it.
/// </summary>
internal sealed class WebHost : IAsyncDisposable
{
    public ZooHome Home { get; }
    public WebApplication App { get; }
    public string Url { get; private set; } = "";
    public HttpClient Client { get; private set; } = null!;
    public JobStore Store => new(Home);

    private WebHost(ZooHome home, WebApplication app) => (Home, App) = (home, app);

    public static async Task<WebHost> Start(string? token = null, string url = "http://127.0.0.1:0", long maxBody = 64 * 1024)
    {
        var home = new ZooHome(Path.Combine(Path.GetTempPath(), "zoo-web-" + Guid.NewGuid().ToString("N")[..8]));
        Directory.CreateDirectory(home.Root);
        var app = ZooWeb.Build(new WebServeOptions { Urls = [url], Token = token, MaxRequestBodyBytes = maxBody },
            services =>
            {
                services.AddZoo(home, NullLogger.Instance);
                services.AddZooJobService(o => o.PollInterval = TimeSpan.FromMilliseconds(100));
            },
            logging => logging.ClearProviders());
        var host = new WebHost(home, app);
        await app.StartAsync();
        host.Url = app.Urls.First().Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1");
        host.Client = new HttpClient { BaseAddress = new Uri(host.Url) };
        if (token is not null) host.Client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return host;
    }

    /// <summary>Small enough to train in a second or two: 600 MNIST digits, 32-unit networks, a 2-D latent.</summary>
    public static Dictionary<string, object> Tiny(int epochs = 2) => new()
    {
        ["dataset.train-limit"] = 600, ["dataset.test-limit"] = 200, ["encoder.hidden"] = "32", ["decoder.hidden"] = "32",
        ["latent"] = 2, ["epochs"] = epochs, ["batch-size"] = 50,
    };

    public async Task<string> Submit(string model, Dictionary<string, object> settings)
    {
        var response = await Client.PostAsJsonAsync("/api/jobs", new { model, settings });
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<Api.Submitted>())!.Id;
    }

    public async Task<JobRecord> WaitFor(string id, Func<JobRecord, bool> done, int seconds = 120)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            if (Store.Find(id) is { } r && done(r)) return r;
            await Task.Delay(50);
        }
        throw new TimeoutException($"job {id}: {Store.Find(id)?.State.ToString() ?? "no record"} after {seconds} s");
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        try { Directory.Delete(Home.Root, true); } catch (IOException) { }
    }
}
