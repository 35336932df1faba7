using System.Diagnostics;

namespace Zoo.Cli.Tests;

/// <summary>
/// The plugin SDK as an author outside the repository meets it (tests/sdk/author-flow.sh): the packed feed only, the
/// template installed, one plugin of each kind created, built, tested, installed, trained with and uninstalled.
/// </summary>
public class PluginSdkTests
{
    [Fact]
    public async Task An_author_with_only_the_packages_creates_tests_installs_trains_and_uninstalls_a_plugin_of_each_kind()
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(CliTests.RepoRoot(), "tests", "sdk", "author-flow.sh")])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath(),
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;
        process.ExitCode.ShouldBe(0, output);
        output.ShouldContain("author-flow: ok");
        // one short training run with each of the six plugins
        output.Split('\n').Count(line => line.StartsWith("done in ")).ShouldBe(6, output);
    }
}
