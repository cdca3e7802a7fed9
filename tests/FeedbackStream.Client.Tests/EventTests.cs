using System.Text.Json;
using FeedbackStream.Client.Tests.Support;
using FeedbackStream.Contracts;

namespace FeedbackStream.Client.Tests;

public sealed class EventTests
{
    [Fact]
    public async Task TypedMethods_BuildV1EventsWithNewIdsTheAppIdAndNow_ThatTheValidatorAccepts()
    {
        await using var h = ClientHarness.Create();
        var c = h.Client;
        var before = DateTimeOffset.Parse("2025-03-14T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        string[] ids =
        [
            c.ResponseServed("user-1", "conv-1", "resp-1", 0, "Olá! Como posso ajudar?", "gpt-x.2025-01", promptText: "oi", latencyMs: 812.5, surface: "web", locale: "pt-BR"),
            c.ReactionSet("user-1", "conv-1", "resp-1", Reaction.Love, shownToReactionMs: 4200),
            c.ReactionCleared("user-1", "conv-1", "resp-1", Reaction.Love),
            c.FollowupSent("user-1", "conv-1", "resp-1", "and in English?", 9000),
            c.ResponseAction("user-1", "conv-1", "resp-1", ActionKind.Edit, editedText: "Hello!"),
            await c.ResponseActionAsync("user-1", "conv-1", "resp-1", ActionKind.Copy, occurredAt: before, cancellationToken: TestContext.Current.CancellationToken),
            c.Enqueue("user-1", "conv-1", new ReactionSet("resp-1", Reaction.Like)),
        ];

        await h.FlushAsync();

        var validator = new EventValidator();
        var events = h.Gateway.Requests.SelectMany(r => r.Lines).Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            var result = validator.Validate(document.RootElement);
            Assert.True(result.IsValid, string.Join("; ", result.Errors));
            return result.Event;
        }).ToList();
        Assert.Equal(ids, events.Select(e => e.EventId));
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$", id));
        Assert.Equal(
            [EventTypes.ResponseServed, EventTypes.ReactionSet, EventTypes.ReactionCleared, EventTypes.FollowupSent, EventTypes.ResponseAction, EventTypes.ResponseAction, EventTypes.ReactionSet],
            events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal(("chat-web", "user-1", "conv-1"), (e.AppId, e.UserId, e.ConversationId)));
        Assert.Equal(before, events[5].OccurredAt);
        Assert.All(events.Where((_, i) => i != 5), e => Assert.Equal(h.Time.GetUtcNow(), e.OccurredAt));
        var served = Assert.IsType<ResponseServed>(events[0].Payload);
        Assert.Equal(("Olá! Como posso ajudar?", "oi", 812.5, "web"), (served.ResponseText, served.PromptText, served.LatencyMs!.Value, served.Surface));
        Assert.Equal("Hello!", Assert.IsType<ResponseAction>(events[4].Payload).EditedText);
    }

    [Fact]
    public async Task Enqueue_AnEventTheCallerBuilt_IsSentAsItIs()
    {
        await using var h = ClientHarness.Create();
        var value = FeedbackEvent.Create(
            "app-generated:42", "other-app", new DateTimeOffset(2025, 3, 14, 9, 0, 0, TimeSpan.FromHours(-3)), "user-7", "conv-7", new FollowupSent("resp-7", "why?"));

        var id = h.Client.Enqueue(value);
        await h.FlushAsync();

        Assert.Equal("app-generated:42", id);
        var line = Assert.Single(Assert.Single(h.Gateway.Requests).Lines);
        Assert.Equal(value, FeedbackJson.Deserialize(System.Text.Encoding.UTF8.GetBytes(line)));
    }

    [Fact]
    public async Task Enqueue_AnEventWhoseTypeDoesNotMatchItsPayload_ThrowsAndTakesNothing()
    {
        await using var h = ClientHarness.Create();
        var value = FeedbackEvent.Create("e-1", "chat-web", h.Time.GetUtcNow(), "u", "c", new FollowupSent("r", "t")) with { Type = EventTypes.ReactionSet };

        Assert.Throws<ArgumentException>(() => h.Client.Enqueue(value));
        Assert.Throws<ArgumentNullException>(() => h.Client.ReactionSet(null!, "c", "r", Reaction.Like));

        Assert.Equal(0, h.Client.Statistics.Enqueued);
    }
}
