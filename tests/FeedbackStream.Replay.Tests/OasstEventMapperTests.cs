using FeedbackStream.Contracts;
using FeedbackStream.Mining;

namespace FeedbackStream.Replay.Tests;

public sealed class OasstEventMapperTests
{
    private static readonly OasstCorpus Corpus = Fixtures.Corpus(Fixtures.Flat);

    private static OasstEvents Map() => OasstEventMapper.Map(Corpus);

    private static List<FeedbackEvent> Of(OasstEvents mapped, string responseId) =>
        mapped.Events.Where(e => SignalResponse(e.Payload) == responseId).ToList();

    private static string SignalResponse(EventPayload payload) => payload switch
    {
        ResponseServed p => p.ResponseId,
        ReactionSet p => p.ResponseId,
        FollowupSent p => p.ResponseId,
        ResponseAction p => p.ResponseId,
        _ => "",
    };

    [Fact]
    public void EveryAssistantReplyToAPrompt_IsServed_ToTheAsker_WithDepthCandidateAndContext()
    {
        var mapped = Map();
        var served = mapped.Events.Where(e => e.Payload is ResponseServed).ToDictionary(e => ((ResponseServed)e.Payload).ResponseId);
        Assert.Equal(["a1", "a2", "a3", "b1"], served.Keys.Order(StringComparer.Ordinal));
        var a1 = (ResponseServed)served["a1"].Payload;
        Assert.Equal("u-alice", served["a1"].UserId);
        Assert.Equal("t1", served["a1"].ConversationId);
        Assert.Equal(OasstMappingOptions.DefaultAppId, served["a1"].AppId);
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 10, 5, 0, TimeSpan.Zero), served["a1"].OccurredAt);
        Assert.Equal("How do I boil an egg?", a1.PromptText);
        Assert.Equal(1, a1.TurnIndex);
        Assert.Equal(1, a1.CandidateIndex);
        Assert.Equal(0, ((ResponseServed)served["a2"].Payload).CandidateIndex);
        Assert.Equal("oasst-human", a1.ModelVersion);
        Assert.Equal("en", a1.Locale);
        var a3 = (ResponseServed)served["a3"].Payload;
        Assert.Equal(3, a3.TurnIndex);
        Assert.Equal("Thanks, that worked!", a3.PromptText);
        Assert.Equal(4, mapped.Stats.Responses);
    }

    [Fact]
    public void SiblingReplies_ShareOnePromptKey_OtherContextsDoNot()
    {
        var keys = Map().Events.Where(e => e.Payload is ResponseServed).ToDictionary(
            e => ((ResponseServed)e.Payload).ResponseId,
            e => Ids.PromptKey(e.AppId, ((ResponseServed)e.Payload).PromptText, ((ResponseServed)e.Payload).PromptHash, acrossApps: false));
        Assert.Equal(keys["a1"], keys["a2"]);
        Assert.NotEqual(keys["a1"], keys["a3"]);
        Assert.NotEqual(keys["a1"], keys["b1"]);

        // The same last utterance in another tree is another context: another key.
        var twin = Fixtures.Flat + "\n" + """{"message_id": "x0", "parent_id": null, "user_id": "u-dan", "created_date": "2024-02-01T00:00:00Z", "text": "Thanks, that worked!", "role": "prompter", "message_tree_id": "t3"}"""
            + "\n" + """{"message_id": "x1", "parent_id": "x0", "user_id": "u-helper1", "created_date": "2024-02-01T00:01:00Z", "text": "Glad to help.", "role": "assistant", "message_tree_id": "t3"}""";
        var corpus = Fixtures.Corpus(twin);
        Assert.NotEqual(OasstEventMapper.PromptHash(corpus, "p1"), OasstEventMapper.PromptHash(corpus, "x0"));
    }

    [Fact]
    public void EmojiCounts_BecomeThatManyEvents_FromDistinctReviewers_SpacedAfterReading()
    {
        var mapped = Map();
        var a1 = Of(mapped, "a1");
        var loves = a1.Where(e => e.Payload is ReactionSet { Reaction: Reaction.Love }).ToList();
        var dislikes = a1.Where(e => e.Payload is ReactionSet { Reaction: Reaction.Dislike }).ToList();
        Assert.Single(loves);
        Assert.Equal(2, dislikes.Count);
        Assert.Equal(3, loves.Concat(dislikes).Select(e => e.UserId).Distinct().Count());
        Assert.All(loves.Concat(dislikes), e => Assert.StartsWith("oasst-reviewer:", e.UserId, StringComparison.Ordinal));

        var a2 = Of(mapped, "a2");
        Assert.Equal(3, a2.Count(e => e.Payload is ReactionSet { Reaction: Reaction.Love }));
        var report = Assert.Single(a2, e => e.Payload is ResponseAction);
        Assert.Equal(ActionKind.Report, ((ResponseAction)report.Payload).Action);

        // Reviewer k reacts at served + delay + k x spacing: never a burst, never faster than reading.
        var served = a2.Single(e => e.Payload is ResponseServed).OccurredAt;
        var offsets = a2.Where(e => e.Payload is not ResponseServed).Select(e => e.OccurredAt - served).Order().ToList();
        var options = new OasstMappingOptions();
        Assert.Equal(Enumerable.Range(0, 4).Select(k => options.ReactionDelay + (k * options.ReactionSpacing)), offsets);
        Assert.Equal((long)options.ReactionDelay.TotalMilliseconds, loves[0].Payload is ReactionSet r ? r.ShownToReactionMs : null);

        // _skip_reply on a1 and the prompter's +1 on p0 have no product signal.
        Assert.Equal(3, mapped.Stats.IgnoredEmojis);
        Assert.Equal((4, 2, 1), (mapped.Stats.Loves, mapped.Stats.Dislikes, mapped.Stats.Reports));
        Assert.DoesNotContain(Of(mapped, "b1"), e => e.Payload is not ResponseServed);
    }

    [Fact]
    public void PrompterReplyToAnAnswer_IsAFollowupOnIt_ByItsAuthor()
    {
        var followup = Assert.Single(Map().Events, e => e.Payload is FollowupSent);
        var payload = (FollowupSent)followup.Payload;
        Assert.Equal("a1", payload.ResponseId);
        Assert.Equal("Thanks, that worked!", payload.Text);
        Assert.Equal("u-alice", followup.UserId);
        Assert.Equal("oasst:followup:p1", followup.EventId);
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 10, 20, 0, TimeSpan.Zero), followup.OccurredAt);
        Assert.Equal((long)TimeSpan.FromMinutes(15).TotalMilliseconds, payload.ShownToFollowupMs);
    }

    [Fact]
    public void EventIds_AreDeterministicAndUnique_AndEveryEventIsValid()
    {
        var first = Map().Events;
        var second = OasstEventMapper.Map(Fixtures.Corpus(Fixtures.Nested)).Events;
        Assert.Equal(first.Select(e => e.EventId), second.Select(e => e.EventId));
        Assert.Equal(first.Select(e => e.UserId), second.Select(e => e.UserId));
        Assert.Equal(first.Count, first.Select(e => e.EventId).Distinct().Count());
        Assert.Contains("oasst:served:a1", first.Select(e => e.EventId));
        Assert.Contains("oasst:dislike:a1:1", first.Select(e => e.EventId));
        var validator = new EventValidator();
        Assert.All(first, e =>
        {
            var result = validator.Validate(FeedbackJson.Serialize(e));
            Assert.True(result.IsValid, string.Join("; ", result.Errors));
        });
    }

    [Fact]
    public void AReplyWhosePromptIsNotInTheFile_IsSkipped_AndOddIdsAreDigested()
    {
        var text = """{"message_id": "lost", "parent_id": "nowhere", "user_id": "u", "created_date": "2024-01-03T00:00:00Z", "text": "orphan", "role": "assistant", "message_tree_id": "t9"}"""
            + "\n" + """{"message_id": "a b/c", "parent_id": null, "user_id": "user with spaces", "created_date": "2024-01-03T00:00:00Z", "text": "q", "role": "prompter", "message_tree_id": "tree/1"}"""
            + "\n" + """{"message_id": "ans", "parent_id": "a b/c", "user_id": "u2", "created_date": "2024-01-03T00:01:00Z", "text": "a", "role": "assistant", "message_tree_id": "tree/1"}""";
        var mapped = OasstEventMapper.Map(Fixtures.Corpus(text));
        Assert.Equal(1, mapped.Stats.SkippedReplies);
        var served = Assert.Single(mapped.Events);
        Assert.Equal(OasstEventMapper.Token("user with spaces"), served.UserId);
        Assert.StartsWith("h:", served.ConversationId, StringComparison.Ordinal);
        Assert.True(new EventValidator().Validate(FeedbackJson.Serialize(served)).IsValid);
    }

    [Fact]
    public void Recent_CompressesIntoTheWindow_AndEndsQuietBeforeNow_KeepingReactionOffsets()
    {
        var now = new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var options = OasstEventMapper.Recent(Corpus, now, TimeSpan.FromHours(6), TimeSpan.FromMinutes(15));
        var events = OasstEventMapper.Map(Corpus, options).Events;
        Assert.Equal(now - TimeSpan.FromMinutes(15), events.Max(e => e.OccurredAt));
        Assert.True(options.TimeCompression > 1);
        var corpusSpan = TimeSpan.FromHours(22) + TimeSpan.FromMinutes(1);
        Assert.Equal(TimeSpan.FromHours(6).TotalSeconds, (corpusSpan / options.TimeCompression).TotalSeconds, 3);
        Assert.Equal(Map().Events.Select(e => e.EventId).Order(StringComparer.Ordinal), events.Select(e => e.EventId).Order(StringComparer.Ordinal));
        var a2 = Of(OasstEventMapper.Map(Corpus, options), "a2");
        var served = a2.Single(e => e.Payload is ResponseServed).OccurredAt;
        Assert.Equal(new OasstMappingOptions().ReactionDelay, a2.Where(e => e.Payload is ReactionSet).Min(e => e.OccurredAt) - served);
    }
}
