using Zoo.Cli;

return ZooCommand.Run(args, Console.Out, Console.Error);
