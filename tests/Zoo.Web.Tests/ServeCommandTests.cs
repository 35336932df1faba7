using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Zoo.Web.Tests;

/// <summary>`zoo serve --urls` and `zoo … --server` as separate processes: the command line, the token file and $ZOO_TOKEN.</summary>
[Collection("web")]
public class ServeCommandTests
{
    private static ProcessStartInfo Zoo(string? token, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "zoo.dll"), .. args])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment.Remove("ZOO_TOKEN");
        if (token is not null) psi.Environment["ZOO_TOKEN"] = token;
        return psi;
    }

    private static async Task<(int Code, string Out, string Err)> Run(string? token, params string[] args)
    {
        using var p = Process.Start(Zoo(token, args))!;
        var (stdout, stderr) = (p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync());
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Zoo_serve_with_urls_and_a_token_file_answers_the_CLI_only_with_ZOO_TOKEN()
    {
        var home = Path.Combine(Path.GetTempPath(), "zoo-serve-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(home);
        var tokenFile = Path.Combine(home, "token");
        File.WriteAllText(tokenFile, "file-token\n");
        try
        {
            var refused = await Run(null, "serve", "--home", home, "--urls", "http://0.0.0.0:0");
            (refused.Code, refused.Err.Trim()).ShouldBe((1, "zoo: error: --urls http://0.0.0.0:0 binds a non-loopback address, which needs a token: " +
                "set ZOO_TOKEN or --token-file FILE (clients send it as 'Authorization: Bearer TOKEN'); or bind 127.0.0.1"));

            using var serve = Process.Start(Zoo(null, "serve", "--home", home, "--urls", "http://127.0.0.1:0", "--token-file", tokenFile))!;
            serve.ErrorDataReceived += (_, _) => { };
            serve.BeginErrorReadLine();
            try
            {
                string? url = null;
                while (url is null && await serve.StandardOutput.ReadLineAsync() is { } line)
                    if (Regex.Match(line, @"^zoo serve: dashboard and API at (http://127\.0\.0\.1:\d+) ") is { Success: true } m) url = m.Groups[1].Value;
                url.ShouldNotBeNull("zoo serve did not say where it listens");
                _ = serve.StandardOutput.ReadToEndAsync(); // keep draining its log

                var anonymous = await Run(null, "jobs", "--server", url);
                (anonymous.Code, anonymous.Err.Trim()).ShouldBe((1, $"zoo: error: {url}: 401 this service requires 'Authorization: Bearer TOKEN' " +
                                                                   "(the token of ZOO_TOKEN or --token-file) (set ZOO_TOKEN)"));
                var wrong = await Run("not-it", "jobs", "--server", url);
                (wrong.Code, wrong.Err.Trim()).ShouldBe((1, $"zoo: error: {url}: 401 the bearer token is not this service's token (set ZOO_TOKEN)"));
                var allowed = await Run("file-token", "jobs", "--server", url);
                (allowed.Code, allowed.Out.Trim()).ShouldBe((0, $"no jobs at {url}"));
            }
            finally
            {
                serve.Kill(entireProcessTree: true);
                await serve.WaitForExitAsync();
            }
        }
        finally { Directory.Delete(home, true); }
    }
}
