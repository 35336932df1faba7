using System.CommandLine;
using Zoo.Cli.Commands;

var root = new RootCommand("zoo: a model zoo of variational autoencoders on libtorch");

var bench = new Command("bench", "Benchmarks");
var benchTorch = new Command("torch", "GEMM throughput and one MLP-autoencoder training step, phase by phase");
var stepsOpt = new Option<int>("--steps") { Description = "training steps to time", DefaultValueFactory = _ => 300 };
benchTorch.Options.Add(stepsOpt);
benchTorch.SetAction(r => { TorchBenchmark.Run(r.GetValue(stepsOpt), Console.Out); return 0; });
bench.Subcommands.Add(benchTorch);
root.Subcommands.Add(bench);

return root.Parse(args).Invoke();
