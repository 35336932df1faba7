using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zoo.Core.Configuration;
using Zoo.Hosting.Jobs;
using Zoo.Web.Api;
using Zoo.Web.Security;

namespace Zoo.Cli.Commands;

/// <summary>
/// `zoo jobs|submit|cancel|logs --server URL`: the same commands against a remote `zoo serve --urls` through its HTTP
/// API, with the token of $ZOO_TOKEN as bearer. The server checks a submission exactly as `zoo submit` does locally;
/// its problems come back as one line, like a local error.
/// </summary>
internal sealed class RemoteJobs : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient http;
    private readonly string server;

    public RemoteJobs(string server)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"--server: '{server}' is not an http:// or https:// URL (e.g. http://127.0.0.1:5080)");
        this.server = uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        http = new HttpClient { BaseAddress = new Uri(this.server + "/"), Timeout = Timeout.InfiniteTimeSpan };
        if (Environment.GetEnvironmentVariable(ApiAccess.TokenVariable) is { Length: > 0 } token)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());
    }

    public void Dispose() => http.Dispose();

    public int Jobs(TextWriter stdout) =>
        JobCommands.PrintJobs(Get<List<JobSummary>>("api/jobs"), $"no jobs at {server}", stdout);

    public int Submit(string model, string[] settings, TextWriter stdout, int ranks = 1)
    {
        var body = new JsonObject { ["model"] = model, ["settings"] = new JsonObject(ConfigText.ParseAssignments(settings).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))) };
        if (ranks != 1) body["ranks"] = ranks;
        var submitted = Read<Submitted>(Send(HttpMethod.Post, "api/jobs", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json")));
        stdout.WriteLine($"submitted {submitted.Id} ({model}) to {server}; `zoo jobs --server {server}` shows it");
        return 0;
    }

    public int Cancel(string id, TextWriter stdout)
    {
        stdout.WriteLine(Read<CancelResult>(Send(HttpMethod.Post, $"api/jobs/{Uri.EscapeDataString(id)}/cancel")).Message);
        return 0;
    }

    public int Logs(string id, bool follow, TextWriter stdout)
    {
        var path = $"api/jobs/{Uri.EscapeDataString(id)}/log";
        if (!follow)
        {
            using var response = Send(HttpMethod.Get, path);
            stdout.Write(new StreamReader(response.Content.ReadAsStream()).ReadToEnd());
            return 0;
        }
        using (var response = Send(HttpMethod.Get, path + "/stream"))
            foreach (var item in SseParser.Create(response.Content.ReadAsStream()).Enumerate())
            {
                if (item.EventType == "end") return 0;
                stdout.WriteLine(item.Data);
                stdout.Flush();
            }
        throw new IOException($"{server}: the log stream of {id} ended before the job did");
    }

    private T Get<T>(string path) => Read<T>(Send(HttpMethod.Get, path));

    private static T Read<T>(HttpResponseMessage response)
    {
        using (response)
            return JsonSerializer.Deserialize<T>(response.Content.ReadAsStream(), Json) ?? throw new InvalidDataException("empty response");
    }

    /// <summary>The response of a successful request; a problem-details answer becomes one line (its detail), an unreachable server too.</summary>
    private HttpResponseMessage Send(HttpMethod method, string path, HttpContent? content = null)
    {
        HttpResponseMessage response;
        try { response = http.Send(new HttpRequestMessage(method, path) { Content = content }, HttpCompletionOption.ResponseHeadersRead); }
        catch (HttpRequestException e) { throw new IOException($"cannot reach zoo serve at {server}: {e.Message}"); }
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            string? detail = null;
            try { detail = JsonNode.Parse(response.Content.ReadAsStream())?["detail"]?.GetValue<string>(); }
            catch (JsonException) { }
            var message = $"{server}: {(int)response.StatusCode} {detail ?? response.ReasonPhrase}";
            throw response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => new UnauthorizedAccessException(message + $" (set {ApiAccess.TokenVariable})"),
                HttpStatusCode.BadRequest or HttpStatusCode.NotFound => new ArgumentException(detail ?? message),
                _ => new InvalidOperationException(message),
            };
        }
    }
}
