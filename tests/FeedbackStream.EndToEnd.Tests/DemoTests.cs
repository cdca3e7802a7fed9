using FeedbackStream.Cli;
using FeedbackStream.Simulator;

namespace FeedbackStream.EndToEnd.Tests;

[Collection(EnginesCollection.Name)]
public sealed class DemoTests(EngineFixture engine)
{
    [Fact]
    public async Task Demo_SimulatedAppsThroughTheSdk_EveryAcceptedEventIsInClickHouseExactlyOnce()
    {
        // This process already holds the engine on the fixture's folder (one data path per process): the demo
        // shares it, with a database of its own.
        var summary = await DemoCommand.RunAsync(new SimulationOptions { Events = 5_000, Users = 200, Seed = 7 }, engine.DataPath, E2E.Ct, database: E2E.NewDatabase(), wipe: false);

        Assert.Equal(5_000, summary.Accepted);
        Assert.True(summary.ExactlyOnce);
        Assert.Equal(5_000UL, summary.ClickhouseRows);
        Assert.True(summary.Duplicates > 0, "the simulation retries some events and the gateway recognises them");
        Assert.True(summary.Rejected > 0, "the simulation sends invalid events on purpose");
        Assert.Equal(summary.Rejected, summary.RejectedByReason.Sum(r => r.Count));
        Assert.Contains(summary.RejectedByReason, r => r.Name.StartsWith("$.payload.reaction", StringComparison.Ordinal));

        // The demo trains a first P[Love] model through the retraining job; when promoted, /v1/score answers with it.
        var model = Assert.IsType<DemoCommand.ModelSummary>(summary.Model);
        Assert.Contains(model.JobState, new[] { "finished", "failed" });
        Assert.Contains(model.RunStatus, new[] { "promoted", "refused", "failed" });
        if (model.RunStatus == "promoted")
        {
            Assert.Equal(model.Version, model.ScoredWithVersion);
            Assert.Equal(2, model.SampleScores.Count);
        }
    }
}
