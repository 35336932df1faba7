using Zoo.Core.Plugins;
using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Zoo.Cli.Commands;
using Zoo.Core.Configuration;
using Zoo.Torch;
using Zoo.Torch.Distributed;

namespace Zoo.Cli;

/// <summary>The `zoo` command line: verbs, options, and the rule that user mistakes end in one line and exit 1.</summary>
public static class ZooCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("zoo: a model zoo of variational autoencoders on libtorch");
        var runOpt = () => new Option<string>("--run") { Description = "run folder written by `zoo train`", Required = true };
        var outFile = (string what) => new Option<string?>("--out") { Description = $"output file (default: {what} in the run folder)" };

        var list = new Command("list", "Models and plugins with their config keys and defaults");
        list.SetAction(_ => ListCommand.Run(stdout));
        root.Subcommands.Add(list);

        var train = new Command("train", "Train a model on its data set: metrics.csv, curves.png, checkpoint/, samples.png, reconstructions.png");
        var modelArg = new Argument<string>("model") { Description = "model name (see `zoo list`)" };
        var settingsArg = new Argument<string[]>("settings") { Description = "config overrides as key=value (see `zoo list`)", Arity = ArgumentArity.ZeroOrMore };
        var trainOut = new Option<string?>("--out") { Description = "run folder (default runs/MODEL)" };
        var resumeOpt = new Option<bool>("--resume") { Description = "continue the run in --out from its checkpoint (settings may only raise epochs)" };
        var plainOpt = new Option<bool>("--plain") { Description = "log lines instead of a progress bar (the default when output is redirected)" };
        train.Arguments.Add(modelArg);
        train.Arguments.Add(settingsArg);
        train.Options.Add(trainOut);
        train.Options.Add(resumeOpt);
        train.Options.Add(plainOpt);
        train.SetAction(r => TrainCommand.Run(r.GetValue(modelArg)!, r.GetValue(settingsArg) ?? [], r.GetValue(trainOut),
            r.GetValue(resumeOpt), r.GetValue(plainOpt), stdout));
        root.Subcommands.Add(train);

        var launch = new Command("launch", "Train on N local ranks (data-parallel over Gloo): zoo launch --nproc N -- train MODEL [key=value ...]");
        var nprocOpt = new Option<int>("--nproc") { Description = "ranks to start on this machine", DefaultValueFactory = _ => 2 };
        var timeoutOpt = new Option<double?>("--timeout") { Description = $"seconds a rank waits for the others at a collective before it fails (default {LaunchSettings.DefaultTimeout.TotalSeconds:0}; ZOO_DIST_TIMEOUT)" };
        var launchArgs = new Argument<string[]>("command") { Description = "the zoo command each rank runs: train MODEL [key=value ...] (after --)", Arity = ArgumentArity.OneOrMore };
        launch.Options.Add(nprocOpt); launch.Options.Add(timeoutOpt); launch.Arguments.Add(launchArgs);
        launch.SetAction(r => LaunchCommand.Run(r.GetValue(nprocOpt), r.GetValue(timeoutOpt) is { } t ? TimeSpan.FromSeconds(t) : null,
            r.GetValue(launchArgs) ?? [], stdout, stderr));
        root.Subcommands.Add(launch);

        var sample = new Command("sample", "PNG grid of images generated from the prior");
        var sRun = runOpt();
        var sOut = outFile("samples.png");
        var countOpt = new Option<int>("--count") { Description = "how many images", DefaultValueFactory = _ => 100 };
        var seedOpt = new Option<int>("--seed") { Description = "random seed", DefaultValueFactory = _ => 0 };
        sample.Options.Add(sRun); sample.Options.Add(sOut); sample.Options.Add(countOpt); sample.Options.Add(seedOpt);
        sample.SetAction(r => ModelCommands.Sample(r.GetValue(sRun)!, r.GetValue(sOut), r.GetValue(countOpt), r.GetValue(seedOpt), stdout));
        root.Subcommands.Add(sample);

        var recon = new Command("reconstruct", "PNG of test inputs (odd rows) above their reconstructions (even rows)");
        var rRun = runOpt();
        var rOut = outFile("reconstructions.png");
        var rCount = new Option<int>("--count") { Description = "how many test images", DefaultValueFactory = _ => 50 };
        recon.Options.Add(rRun); recon.Options.Add(rOut); recon.Options.Add(rCount);
        recon.SetAction(r => ModelCommands.Reconstruct(r.GetValue(rRun)!, r.GetValue(rOut), r.GetValue(rCount), stdout));
        root.Subcommands.Add(recon);

        var encode = new Command("encode", "Latent means of a data split to CSV (index, label, z0, z1, ...)");
        var eRun = runOpt();
        var eOut = outFile("latents-SPLIT.csv");
        var splitOpt = new Option<string>("--split") { Description = "train or test", DefaultValueFactory = _ => "test" };
        encode.Options.Add(eRun); encode.Options.Add(eOut); encode.Options.Add(splitOpt);
        encode.SetAction(r => ModelCommands.Encode(r.GetValue(eRun)!, r.GetValue(eOut), r.GetValue(splitOpt)!, stdout));
        root.Subcommands.Add(encode);

        var latentPlot = new Command("latent-plot", "For a 2-D latent: scatter of test means by label (latent.png) and the decoded manifold over [-3,3]² (manifold.png)");
        var lRun = runOpt();
        var lOut = new Option<string?>("--out-dir") { Description = "folder for latent.png and manifold.png (default: the run folder)" };
        latentPlot.Options.Add(lRun); latentPlot.Options.Add(lOut);
        latentPlot.SetAction(r => ModelCommands.LatentPlot(r.GetValue(lRun)!, r.GetValue(lOut), stdout));
        root.Subcommands.Add(latentPlot);

        var eval = new Command("eval", "Test ELBO, importance-weighted NLL (IWAE bound, k samples) and latent diagnostics of a trained run; writes eval.json");
        var evRun = runOpt();
        var evK = new Option<int>("--k") { Description = "importance samples per input (5000 for reports)", DefaultValueFactory = _ => 5000 };
        var evLimit = new Option<int>("--limit") { Description = "evaluate only the first N test inputs (0 = all)", DefaultValueFactory = _ => 0 };
        var evSeed = new Option<int>("--seed") { Description = "random seed of the importance samples", DefaultValueFactory = _ => 0 };
        var evJson = new Option<string?>("--json") { Description = "report file (default: eval.json in the run folder)" };
        eval.Options.Add(evRun); eval.Options.Add(evK); eval.Options.Add(evLimit); eval.Options.Add(evSeed); eval.Options.Add(evJson);
        eval.SetAction(r => EvalCommands.Eval(r.GetValue(evRun)!, r.GetValue(evK), r.GetValue(evLimit), r.GetValue(evSeed), r.GetValue(evJson), stdout));
        root.Subcommands.Add(eval);

        var score = new Command("score", "Anomaly scores: each input's NLL, flagged above a quantile of held-out in-distribution NLLs; AUROC against them");
        var scRun = runOpt();
        var scData = new Option<string?>("--data") { Description = "data set to score: mnist or fashion-mnist (default: the run's own)" };
        var scSplit = new Option<string>("--split") { Description = "train or test", DefaultValueFactory = _ => "test" };
        var scK = new Option<int>("--k") { Description = "importance samples per input", DefaultValueFactory = _ => 100 };
        var scQ = new Option<double>("--quantile") { Description = "threshold = this quantile of held-out in-distribution NLLs", DefaultValueFactory = _ => 0.99 };
        var scLimit = new Option<int>("--limit") { Description = "score only the first N inputs of each set (0 = all)", DefaultValueFactory = _ => 0 };
        var scSeed = new Option<int>("--seed") { Description = "random seed of the importance samples", DefaultValueFactory = _ => 0 };
        var scOut = outFile("scores-DATA-SPLIT.csv");
        foreach (var o in new Option[] { scRun, scData, scSplit, scK, scQ, scLimit, scSeed, scOut }) score.Options.Add(o);
        score.SetAction(r => EvalCommands.Score(r.GetValue(scRun)!, r.GetValue(scData), r.GetValue(scSplit)!, r.GetValue(scK),
            r.GetValue(scQ), r.GetValue(scLimit), r.GetValue(scSeed), r.GetValue(scOut), stdout));
        root.Subcommands.Add(score);

        var fairness = new Command("fairness", "Train the plain VAE, the VFAE without MMD and the VFAE on a table (German credit by default) and compare what their representations reveal about y and s");
        var fSettings = new Argument<string[]>("settings") { Description = "vfae config overrides as key=value (see `zoo list`)", Arity = ArgumentArity.ZeroOrMore };
        var fSeeds = new Option<int>("--seeds") { Description = "repeat over this many seeds (split and initialisation)", DefaultValueFactory = _ => 3 };
        var fOut = new Option<string>("--out") { Description = "folder for the runs, fairness.md and fairness.csv", DefaultValueFactory = _ => "runs/fairness" };
        var fModel = new Option<string>("--model") { Description = "the model to probe (vfae: compared with its plain-VAE and no-MMD variants)", DefaultValueFactory = _ => "vfae" };
        fairness.Arguments.Add(fSettings); fairness.Options.Add(fSeeds); fairness.Options.Add(fOut); fairness.Options.Add(fModel);
        fairness.SetAction(r => FairnessCommand.Run(r.GetValue(fModel)!, r.GetValue(fSettings) ?? [], r.GetValue(fSeeds), r.GetValue(fOut)!, stdout));
        root.Subcommands.Add(fairness);

        var semi = new Command("semisupervised", "Train the VFAE on MNIST (the last pixels as s) with few labels and report the test accuracy of its classifier q(y|z1)");
        var sSettings = new Argument<string[]>("settings") { Description = $"vfae config overrides as key=value, over: {string.Join(" ", SemiSupervisedCommand.Defaults)}", Arity = ArgumentArity.ZeroOrMore };
        var sLabels = new Option<string>("--labels") { Description = "label counts, one run each", DefaultValueFactory = _ => "100,600,1000,3000" };
        var semiOut = new Option<string>("--out") { Description = "folder for the runs, semisupervised.md and semisupervised.csv", DefaultValueFactory = _ => "runs/semisupervised" };
        var sModel = new Option<string>("--model") { Description = "a model with its own classifier q(y|·) (IClassifier)", DefaultValueFactory = _ => "vfae" };
        semi.Arguments.Add(sSettings); semi.Options.Add(sLabels); semi.Options.Add(semiOut); semi.Options.Add(sModel);
        semi.SetAction(r => SemiSupervisedCommand.Run(r.GetValue(sModel)!, r.GetValue(sSettings) ?? [], r.GetValue(sLabels)!, r.GetValue(semiOut)!, stdout));
        root.Subcommands.Add(semi);

        var bench = new Command("bench", "Benchmarks");
        var benchTorch = new Command("torch", "GEMM throughput and one MLP-autoencoder training step, phase by phase");
        var stepsOpt = new Option<int>("--steps") { Description = "training steps to time", DefaultValueFactory = _ => 300 };
        benchTorch.Options.Add(stepsOpt);
        benchTorch.SetAction(r => { TorchBenchmark.Run(r.GetValue(stepsOpt), stdout); return 0; });
        bench.Subcommands.Add(benchTorch);
        var benchVae = new Command("vae", "Seed 003's set-up (bernoulli-vae 784-500-500-20 on thresholded MNIST): seconds per epoch and test ELBO");
        var vaeEpochs = new Option<int>("--epochs") { Description = "epochs", DefaultValueFactory = _ => 5 };
        var vaeJson = new Option<string?>("--json") { Description = "also write the figures to this JSON file" };
        benchVae.Options.Add(vaeEpochs); benchVae.Options.Add(vaeJson);
        benchVae.SetAction(r => VaeBenchmark.Run(r.GetValue(vaeEpochs), r.GetValue(vaeJson), stdout));
        bench.Subcommands.Add(benchVae);
        var benchVfae = new Command("vfae", "The semi-supervised VFAE of `zoo semisupervised` on MNIST: seconds per epoch, test bound and q(y|z1) accuracy; --profile times a step phase by phase");
        var vfaeEpochs = new Option<int>("--epochs") { Description = "epochs (0: the profile alone)", DefaultValueFactory = _ => 3 };
        var vfaeLabels = new Option<int>("--labels") { Description = "training rows that keep their label", DefaultValueFactory = _ => 100 };
        var vfaeProfile = new Option<int>("--profile") { Description = "first time this many training steps phase by phase (0: none)", DefaultValueFactory = _ => 0 };
        var vfaeJson = new Option<string?>("--json") { Description = "also write the figures to this JSON file" };
        benchVfae.Options.Add(vfaeEpochs); benchVfae.Options.Add(vfaeLabels); benchVfae.Options.Add(vfaeProfile); benchVfae.Options.Add(vfaeJson);
        benchVfae.SetAction(r => VfaeBenchmark.Run(r.GetValue(vfaeEpochs), r.GetValue(vfaeLabels), r.GetValue(vfaeProfile), r.GetValue(vfaeJson), stdout));
        bench.Subcommands.Add(benchVfae);
        root.Subcommands.Add(bench);

        // The hosted runtime: the job service and its folder queue, and drop-in plugins (all under --home).
        var homeOpt = () => new Option<string?>("--home") { Description = "runtime folder: plugins/, inbox/, runs/ (default $ZOO_HOME, else .zoo)" };
        Zoo.Hosting.ZooHome Home(System.CommandLine.ParseResult r, Option<string?> o) => Zoo.Hosting.ZooHome.Resolve(r.GetValue(o));

        var serve = new Command("serve", "Run the background training service in the foreground until Ctrl+C or SIGTERM (running jobs checkpoint, then resume on restart); with --urls also the HTTP API and the dashboard");
        var serveHome = homeOpt();
        var concurrency = new Option<int>("--max-concurrency") { Description = "jobs trained at once", DefaultValueFactory = _ => 1 };
        var urls = new Option<string?>("--urls") { Description = $"serve the HTTP API and the dashboard at these URLs (comma-separated, e.g. {Zoo.Web.WebServeOptions.DefaultUrl}); a non-loopback address needs a token" };
        var tokenFile = new Option<string?>("--token-file") { Description = "file whose first line is the bearer token every API request must carry (default $ZOO_TOKEN)" };
        serve.Options.Add(serveHome); serve.Options.Add(concurrency); serve.Options.Add(urls); serve.Options.Add(tokenFile);
        serve.SetAction(r => JobCommands.Serve(Home(r, serveHome), r.GetValue(concurrency),
            r.GetValue(urls)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), r.GetValue(tokenFile), stdout));
        root.Subcommands.Add(serve);

        // --server URL: the same command against a remote `zoo serve --urls` (token from $ZOO_TOKEN).
        var serverOpt = () => new Option<string?>("--server") { Description = "a remote `zoo serve --urls` to talk to instead of --home (token from $ZOO_TOKEN)" };
        int Either(System.CommandLine.ParseResult r, Option<string?> server, Func<int> local, Func<RemoteJobs, int> remote)
        {
            if (r.GetValue(server) is not { } url) return local();
            using var client = new RemoteJobs(url);
            return remote(client);
        }

        var submit = new Command("submit", "Queue a training job for `zoo serve`: MODEL [key=value ...], as for `zoo train`");
        var submitHome = homeOpt();
        var submitServer = serverOpt();
        var submitModel = new Argument<string>("model") { Description = "model name (see `zoo list`)" };
        var submitSettings = new Argument<string[]>("settings") { Description = "config overrides as key=value", Arity = ArgumentArity.ZeroOrMore };
        var submitRanks = new Option<int>("--ranks") { Description = "train the job data-parallel with N local ranks (the service starts `zoo launch --nproc N`)", DefaultValueFactory = _ => 1 };
        submit.Arguments.Add(submitModel); submit.Arguments.Add(submitSettings); submit.Options.Add(submitHome); submit.Options.Add(submitServer); submit.Options.Add(submitRanks);
        submit.SetAction(r => Either(r, submitServer,
            () => JobCommands.Submit(Home(r, submitHome), r.GetValue(submitModel)!, r.GetValue(submitSettings) ?? [], stdout, r.GetValue(submitRanks)),
            c => c.Submit(r.GetValue(submitModel)!, r.GetValue(submitSettings) ?? [], stdout, r.GetValue(submitRanks))));
        root.Subcommands.Add(submit);

        var jobs = new Command("jobs", "List jobs: id, state (queued, running, interrupted, succeeded, failed, cancelled), epoch, test ELBO, reason");
        var jobsHome = homeOpt();
        var jobsServer = serverOpt();
        jobs.Options.Add(jobsHome); jobs.Options.Add(jobsServer);
        jobs.SetAction(r => Either(r, jobsServer, () => JobCommands.Jobs(Home(r, jobsHome), stdout), c => c.Jobs(stdout)));
        root.Subcommands.Add(jobs);

        var jobId = () => new Argument<string>("id") { Description = "job id (see `zoo jobs`)" };
        var cancelCmd = new Command("cancel", "Cancel a queued or running job (a running one stops at its next batch, keeping its checkpoint)");
        var cancelHome = homeOpt();
        var cancelServer = serverOpt();
        var cancelId = jobId();
        cancelCmd.Arguments.Add(cancelId); cancelCmd.Options.Add(cancelHome); cancelCmd.Options.Add(cancelServer);
        cancelCmd.SetAction(r => Either(r, cancelServer, () => JobCommands.Cancel(Home(r, cancelHome), r.GetValue(cancelId)!, stdout),
            c => c.Cancel(r.GetValue(cancelId)!, stdout)));
        root.Subcommands.Add(cancelCmd);

        var logs = new Command("logs", "Print a job's log (epochs, state changes)");
        var logsHome = homeOpt();
        var logsServer = serverOpt();
        var logsId = jobId();
        var follow = new Option<bool>("--follow", "-f") { Description = "keep printing until the job ends" };
        logs.Arguments.Add(logsId); logs.Options.Add(logsHome); logs.Options.Add(follow); logs.Options.Add(logsServer);
        logs.SetAction(r => Either(r, logsServer, () => JobCommands.Logs(Home(r, logsHome), r.GetValue(logsId)!, r.GetValue(follow), stdout),
            c => c.Logs(r.GetValue(logsId)!, r.GetValue(follow), stdout)));
        root.Subcommands.Add(logs);

        var plugins = new Command("plugins", "Drop-in plugin assemblies in HOME/plugins: loaded, or skipped with the reason");
        var pluginsHome = homeOpt();
        plugins.Options.Add(pluginsHome);
        plugins.SetAction(r => JobCommands.ListPlugins(Home(r, pluginsHome), stdout));
        var install = new Command("install", "Copy a plugin's build output (folder or main .dll) into HOME/plugins after checking it loads");
        var installHome = homeOpt();
        var installPath = new Argument<string>("path") { Description = "e.g. plugins/Zoo.Plugins.MixturePrior/bin/Release/net10.0" };
        install.Arguments.Add(installPath); install.Options.Add(installHome);
        install.SetAction(r => JobCommands.Install(Home(r, installHome), r.GetValue(installPath)!, stdout));
        plugins.Subcommands.Add(install);
        var uninstall = new Command("uninstall", "Remove a drop-in plugin from HOME/plugins: by its folder name (as install made it) or a plugin it provides; built-in ones stay");
        var uninstallHome = homeOpt();
        var uninstallName = new Argument<string>("name") { Description = "e.g. Zoo.Plugins.MixturePrior or gaussian-mixture (see `zoo plugins`)" };
        uninstall.Arguments.Add(uninstallName); uninstall.Options.Add(uninstallHome);
        uninstall.SetAction(r => JobCommands.Uninstall(Home(r, uninstallHome), r.GetValue(uninstallName)!, stdout));
        plugins.Subcommands.Add(uninstall);
        root.Subcommands.Add(plugins);

        RequireFinite(root);

        // User mistakes end with one clear line and a non-zero exit, never a stack trace.
        try
        {
            var parsed = root.Parse(args);
            // A parse error too: one line, not System.CommandLine's error lines followed by the whole help.
            if (parsed.Action is ParseErrorAction)
            {
                stderr.WriteLine($"zoo: error: {ParseProblem(parsed)}");
                return 1;
            }
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = stdout, Error = stderr });
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or TorchException or FormatException
                                      or InvalidOperationException or UnauthorizedAccessException or OperationCanceledException)
        {
            // One line even for exceptions whose message spans several (ArgumentOutOfRangeException appends its value).
            var message = e is ArgumentException { ParamName: { } name } a ? a.Message.Replace($" (Parameter '{name}')", "") : e.Message;
            stderr.WriteLine($"zoo: error: {message.Split('\n')[0].TrimEnd()}");
            return 1;
        }
        catch (Exception e) when (PluginContract.ThrowingPlugin(e) is { } plugin)
        {
            // A bug inside a plugin (a NullReferenceException in its LogProb): one line naming the plugin and where, not a crash.
            stderr.WriteLine($"zoo: error: plugin {plugin} failed: {PluginContract.Fault(e)}");
            return 1;
        }
    }

    /// <summary>A mistyped command gets the nearest one; any other parse error is said as System.CommandLine says it.</summary>
    private static string ParseProblem(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var names = new List<string>();
        for (SymbolResult? r = parsed.CommandResult; r is CommandResult { Parent: not null } c; r = c.Parent) names.Insert(0, c.Command.Name);
        var path = string.Join(' ', names.Prepend("zoo"));
        if (command.Subcommands.Count > 0 && command.Action is null)
        {
            var typed = parsed.UnmatchedTokens.FirstOrDefault();
            if (typed is null) return $"no command given ({path} --help lists the commands)";
            if (!typed.StartsWith('-'))
            {
                var near = ConfigText.Nearest(typed, command.Subcommands.Select(c => c.Name));
                return $"unknown command {Excerpt.Quote(typed)}" + (near is null ? "" : $"; did you mean '{near}'?") + $" ({path} --help lists the commands)";
            }
        }
        return string.Join("; ", parsed.Errors.Select(e => Plain(e.Message)));
    }

    private static readonly System.Text.RegularExpressions.Regex Unparsable =
        new(@"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?<type>[^']+)'\.?$");

    /// <summary>System.CommandLine's conversion errors name .NET types ("System.Double"); the user typed a number.</summary>
    private static string Plain(string message)
    {
        var m = Unparsable.Match(message);
        var type = m.Groups["type"].Value;
        var kind = type.Contains("Double") || type.Contains("Single") ? "a number"
            : type.Contains("Int") ? "a whole number"
            : null;
        return m.Success && kind is not null
            ? $"{m.Groups["option"].Value} must be {kind}, found {Excerpt.Quote(m.Groups["value"].Value)}"
            : message.TrimEnd('.');
    }

    /// <summary>
    /// Every floating-point option, now and added later, must be a finite number: NaN passes every range check (each
    /// comparison with it is false) and infinity overflows what is computed from it.
    /// </summary>
    private static void RequireFinite(Command command)
    {
        foreach (var option in command.Options)
        {
            var type = option.ValueType;
            if (type != typeof(double) && type != typeof(double?) && type != typeof(float) && type != typeof(float?)) continue;
            option.Validators.Add(r =>
            {
                double? value;
                try
                {
                    value = type == typeof(double) ? r.GetValueOrDefault<double>()
                        : type == typeof(double?) ? r.GetValueOrDefault<double?>()
                        : type == typeof(float) ? r.GetValueOrDefault<float>()
                        : r.GetValueOrDefault<float?>();
                }
                catch (InvalidOperationException) { return; } // not a number at all: the parser's own error says so (see Plain)
                if (value is { } v && !double.IsFinite(v))
                    r.AddError($"{option.Name} must be a finite number, found {(r.Tokens.Count > 0 ? r.Tokens[^1].Value : v.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
            });
        }
        foreach (var sub in command.Subcommands) RequireFinite(sub);
    }
}
