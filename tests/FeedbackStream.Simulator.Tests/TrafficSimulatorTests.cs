using System.Text.Json;
using FeedbackStream.Contracts;

namespace FeedbackStream.Simulator.Tests;

public sealed class TrafficSimulatorTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static List<SimulatedItem> Run(int events = 20_000, int seed = 1) =>
        TrafficSimulator.Generate(new SimulationOptions { Events = events, Seed = seed }, Start).ToList();

    [Fact]
    public void SameSeed_SameStream_OtherSeed_OtherStream()
    {
        var a = Run(2_000, 5).Select(i => i.Event?.EventId ?? i.InvalidJson).ToList();
        var b = Run(2_000, 5).Select(i => i.Event?.EventId ?? i.InvalidJson).ToList();
        var c = Run(2_000, 6).Select(i => i.Event?.EventId ?? i.InvalidJson).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void ExactlyTheRequestedNumberOfValidEvents_WithUniqueIds_AllValidAgainstTheContract()
    {
        var items = Run();
        var originals = items.Where(i => i.Event is not null && !i.IsDuplicate).Select(i => i.Event!).ToList();
        Assert.Equal(20_000, originals.Count);
        Assert.Equal(originals.Count, originals.Select(e => e.EventId).Distinct().Count());
        var validator = new EventValidator();
        foreach (var e in originals)
        {
            var result = validator.Validate(FeedbackJson.Serialize(e));
            Assert.True(result.IsValid, string.Join("; ", result.Errors));
        }
    }

    [Fact]
    public void EveryTypeAndActionAppears_WithRegenerationChains()
    {
        var events = Run().Where(i => i.Event is not null).Select(i => i.Event!).ToList();
        Assert.Equal(EventTypes.All.Order(), events.Select(e => e.Type).Distinct().Order());
        var actions = events.Select(e => e.Payload).OfType<ResponseAction>().Select(a => a.Action).Distinct().ToList();
        Assert.Equal(Enum.GetValues<ActionKind>().Order(), actions.Order());
        var served = events.Select(e => e.Payload).OfType<ResponseServed>().ToList();
        var ids = served.Select(s => s.ResponseId).ToHashSet();
        var regenerated = served.Where(s => s.RegeneratedFrom is not null).ToList();
        Assert.NotEmpty(regenerated);
        Assert.All(regenerated, r => Assert.Contains(r.RegeneratedFrom!, ids));
    }

    [Fact]
    public void Duplicates_RepeatEarlierEventsUnchanged_AtAboutTheConfiguredRate()
    {
        var items = Run();
        var byId = items.Where(i => i.Event is not null && !i.IsDuplicate).ToDictionary(i => i.Event!.EventId, i => i.Event!);
        var duplicates = items.Where(i => i.IsDuplicate).Select(i => i.Event!).ToList();
        Assert.InRange(duplicates.Count, 100, 300);
        Assert.All(duplicates, d => Assert.Equal(byId[d.EventId], d));
    }

    [Fact]
    public void InvalidItems_FailValidation()
    {
        var invalid = Run().Where(i => i.InvalidJson is not null).ToList();
        Assert.InRange(invalid.Count, 50, 200);
        var validator = new EventValidator();
        foreach (var item in invalid)
        {
            using var document = JsonDocument.Parse(item.InvalidJson!);
            var valid = validator.Validate(document.RootElement).IsValid;
            var inFuture = item.InvalidKind!.EndsWith("in the future", StringComparison.Ordinal);
            // A timestamp in the future is well-formed: the gateway's clock-skew limit rejects it, not the contract.
            Assert.Equal(inFuture, valid);
        }
    }

    [Fact]
    public void ReactionsComeAfterTheResponseWasReadable()
    {
        var events = Run(5_000).Where(i => i.Event is not null && !i.IsDuplicate).Select(i => i.Event!).ToList();
        var servedAt = events.Where(e => e.Payload is ResponseServed).ToDictionary(e => ((ResponseServed)e.Payload).ResponseId, e => e.OccurredAt);
        foreach (var e in events.Where(e => e.Payload is ReactionSet))
        {
            var reaction = (ReactionSet)e.Payload;
            Assert.True(e.OccurredAt > servedAt[reaction.ResponseId]);
        }
    }
}
