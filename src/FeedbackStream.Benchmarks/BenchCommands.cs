using System.CommandLine;
using FeedbackStream.Hosting;

namespace FeedbackStream.Benchmarks;

internal static class BenchCommands
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks that print measured figures (not tests).");
        bench.Subcommands.Add(ClickHouseBenchmark.Create());
        bench.Subcommands.Add(KafkaBenchmark.Create());
        bench.Subcommands.Add(IngestBenchmark.Create());
        bench.Subcommands.Add(PipelineBenchmark.Create());
        bench.Subcommands.Add(LabelingBenchmark.Create());
        bench.Subcommands.Add(ScoreBenchmark.Create());
        bench.Subcommands.Add(EncoderBenchmark.Create());
        bench.Subcommands.Add(PeerClients.CreateProduce());
        bench.Subcommands.Add(PeerClients.CreateConsume());
        return bench;
    }
}
