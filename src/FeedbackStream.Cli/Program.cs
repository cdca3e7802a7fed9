using System.CommandLine;
using FeedbackStream.Benchmarks;
using FeedbackStream.Cli;
using FeedbackStream.EmbeddedClickHouse;
using FeedbackStream.Evaluation;

var root = new RootCommand("FeedbackStream: learn from what users do with LLM responses.");
root.Subcommands.Add(ClickHouseCommands.Create());
root.Subcommands.Add(KafkaCommands.Create());
root.Subcommands.Add(ClickHouseCommands.CreateSql());
root.Subcommands.Add(MigrateCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(CheckCommands.Create());
root.Subcommands.Add(LabelCommands.Create());
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
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10), EnableDefaultExceptionHandler = false };
try
{
    return await root.Parse(args).InvokeAsync(invocation);
}
catch (EngineNotInstalledException e)
{
    // A machine that was not set up: the one line that says what to run, not a stack trace.
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
catch (OperationCanceledException)
{
    return 1;
}
catch (Exception e)
{
    await Console.Error.WriteLineAsync($"Unhandled exception: {e}");
    return 1;
}
