using System.CommandLine;
using Zoo.Cli.Commands;
using Zoo.Torch;

var root = new RootCommand("zoo: a model zoo of variational autoencoders on libtorch");

var bench = new Command("bench", "Benchmarks");
var benchTorch = new Command("torch", "GEMM throughput and one MLP-autoencoder training step, phase by phase");
var stepsOpt = new Option<int>("--steps") { Description = "training steps to time", DefaultValueFactory = _ => 300 };
benchTorch.Options.Add(stepsOpt);
benchTorch.SetAction(r => { TorchBenchmark.Run(r.GetValue(stepsOpt), Console.Out); return 0; });
bench.Subcommands.Add(benchTorch);
root.Subcommands.Add(bench);

var demo = new Command("demo", "Train a small MLP autoencoder on synthetic images; write metrics.csv, curves.png, reconstructions.png");
var outOpt = new Option<string>("--out") { Description = "output folder", DefaultValueFactory = _ => "runs/demo" };
var epochsOpt = new Option<int>("--epochs") { Description = "training epochs", DefaultValueFactory = _ => 10 };
var seedOpt = new Option<ulong>("--seed") { Description = "random seed", DefaultValueFactory = _ => 0 };
demo.Options.Add(outOpt);
demo.Options.Add(epochsOpt);
demo.Options.Add(seedOpt);
demo.SetAction(r => DemoCommand.Run(r.GetValue(outOpt)!, r.GetValue(epochsOpt), r.GetValue(seedOpt), Console.Out));
root.Subcommands.Add(demo);

// User mistakes end with one clear line and a non-zero exit, never a stack trace.
try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or TorchException or FormatException or InvalidOperationException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"zoo: error: {e.Message}");
    return 1;
}
