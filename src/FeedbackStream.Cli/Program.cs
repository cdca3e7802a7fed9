using System.CommandLine;
using FeedbackStream.Benchmarks;
using FeedbackStream.Cli;
using FeedbackStream.Evaluation;

var root = new RootCommand("FeedbackStream: learn from what users do with LLM responses.");
root.Subcommands.Add(ClickHouseCommands.Create());
root.Subcommands.Add(KafkaCommands.Create());
root.Subcommands.Add(ClickHouseCommands.CreateSql());
root.Subcommands.Add(MigrateCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(CheckCommands.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(EvalCommands.Create());
root.Subcommands.Add(ExportPairsCommand.Create());
var replay = new Command("replay", "Replay recorded human data as events through the gateway and pipeline.");
replay.Subcommands.Add(OasstCommands.CreateReplay());
root.Subcommands.Add(replay);
root.Subcommands.Add(BenchCommands.Create());
root.Subcommands.Add(ModelCommands.CreateTrain());
root.Subcommands.Add(ModelCommands.CreateModels());
root.Subcommands.Add(ModelCommands.CreateScore());
// Ctrl+C and SIGTERM cancel the running command's token (serve, demo, benchmarks) instead of killing the process.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) });
