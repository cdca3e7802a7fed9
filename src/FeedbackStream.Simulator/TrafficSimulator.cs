using System.Globalization;
using FeedbackStream.Contracts;

namespace FeedbackStream.Simulator;

/// <summary>Shape of the simulated traffic.</summary>
public sealed class SimulationOptions
{
    /// <summary>Valid events to generate (duplicates and invalid events come on top).</summary>
    public int Events { get; set; } = 100_000;

    public int Users { get; set; } = 3_000;

    public IReadOnlyList<string> Apps { get; set; } = ["chat-web", "chat-ios"];

    public IReadOnlyList<string> ModelVersions { get; set; } = ["m-2026-09", "m-2026-10", "m-2026-11"];

    /// <summary>Share of valid events sent a second time with the same event_id (a client retry).</summary>
    public double DuplicateRate { get; set; } = 0.01;

    /// <summary>Share of extra events that are invalid on purpose.</summary>
    public double InvalidRate { get; set; } = 0.005;

    public int Seed { get; set; } = 20261126;
}

/// <summary>One thing the simulated apps send: a valid event, a retry of one, or an invalid event as raw JSON.</summary>
public sealed record SimulatedItem(FeedbackEvent? Event, bool IsDuplicate, string? InvalidJson, string? InvalidKind)
{
    public string AppId => Event?.AppId ?? InvalidKind!.Split('|')[0];
}

/// <summary>
/// Generates conversations of simulated users: each turn serves a response and may draw reactions (sometimes
/// cleared again), follow-ups (satisfied or not), copies, shares, edits, stops, reports and regenerations (a new
/// candidate with <c>regenerated_from</c>). Deterministic for a seed. Timestamps start at the given clock and
/// advance by plausible reading and typing times.
/// </summary>
public static class TrafficSimulator
{
    private static readonly string[] Topics =
    [
        "sorting a list in C#", "a trip to Lisbon", "the French revolution", "a birthday poem", "fixing a flaky test",
        "compound interest", "a vegan lasagne", "Kafka consumer groups", "a cover letter", "photosynthesis",
        "the rules of chess", "a SQL window function", "learning Spanish", "a marathon plan", "CSS grid",
    ];

    private static readonly string[] Satisfied =
    [
        "thanks, that is exactly what I needed", "perfect, it works now", "great explanation!", "ok got it, thank you",
        "love it, can you make it a bit shorter?", "that helped a lot", "awesome 🙏",
    ];

    private static readonly string[] Dissatisfied =
    [
        "no, that's wrong", "this doesn't answer my question", "that is not what I asked", "too long, I said short",
        "the code doesn't compile", "you misunderstood me", "still not working",
    ];

    public static IEnumerable<SimulatedItem> Generate(SimulationOptions options, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(options);
        var random = new Random(options.Seed);
        var produced = 0;
        var conversation = 0;
        var pendingDuplicates = new List<FeedbackEvent>();
        while (produced < options.Events)
        {
            var user = $"user-{random.Next(options.Users):D5}";
            var app = options.Apps[random.Next(options.Apps.Count)];
            var model = options.ModelVersions[random.Next(options.ModelVersions.Count)];
            var conversationId = $"conv-{options.Seed:X}-{conversation++:D7}";
            var clock = start.AddMilliseconds(random.Next(0, 1000));
            var turns = 1 + random.Next(6);
            var sequence = 0;

            FeedbackEvent Make(EventPayload payload, double advanceMs)
            {
                clock = clock.AddMilliseconds(advanceMs);
                return FeedbackEvent.Create($"{conversationId}-{sequence++:D3}", app, clock, user, conversationId, payload);
            }

            for (var turn = 0; turn < turns && produced < options.Events; turn++)
            {
                var topic = Topics[random.Next(Topics.Length)];
                var prompt = $"Can you help me with {topic}?";
                var responseId = $"{conversationId}-r{turn}";
                var text = $"Sure. Here is how to approach {topic}: first, {Filler(random)}. Then {Filler(random)}.";
                var turnEvents = new List<FeedbackEvent>
                {
                    Make(new ResponseServed(responseId, turn, text, model, PromptText: prompt, LatencyMs: 200 + random.Next(2500), Surface: app.EndsWith("ios", StringComparison.Ordinal) ? "ios" : "web", Locale: "en-US"), 1500),
                };
                var readMs = 1500 + (text.Length * 40);
                var roll = random.NextDouble();
                if (roll < 0.12)
                {
                    turnEvents.Add(Make(new ReactionSet(responseId, Reaction.Love, readMs), readMs));
                }
                else if (roll < 0.27)
                {
                    turnEvents.Add(Make(new ReactionSet(responseId, random.NextDouble() < 0.8 ? Reaction.Like : Reaction.Laugh, readMs), readMs));
                }
                else if (roll < 0.33)
                {
                    turnEvents.Add(Make(new ReactionSet(responseId, Reaction.Dislike, readMs), readMs));
                }

                if (turnEvents.Count > 1 && random.NextDouble() < 0.05)
                {
                    var set = (ReactionSet)turnEvents[^1].Payload;
                    turnEvents.Add(Make(new ReactionCleared(responseId, set.Reaction, readMs + 3000), 3000));
                }

                var action = random.NextDouble();
                if (action < 0.08)
                {
                    turnEvents.Add(Make(new ResponseAction(responseId, ActionKind.Copy, null, readMs + 800), 800));
                }
                else if (action < 0.10)
                {
                    turnEvents.Add(Make(new ResponseAction(responseId, ActionKind.Share, null, readMs + 900), 900));
                }
                else if (action < 0.12)
                {
                    turnEvents.Add(Make(new ResponseAction(responseId, ActionKind.Edit, $"{text} (edited: shorter)", readMs + 20000), 20000));
                }
                else if (action < 0.13)
                {
                    turnEvents.Add(Make(new ResponseAction(responseId, random.NextDouble() < 0.7 ? ActionKind.Stop : ActionKind.Report, null, 1200), 1200));
                }
                else if (action < 0.21)
                {
                    turnEvents.Add(Make(new ResponseAction(responseId, ActionKind.Regenerate, null, readMs / 2), readMs / 2.0));
                    var retryText = $"Let me try again on {topic}: {Filler(random)}, and {Filler(random)}.";
                    turnEvents.Add(Make(new ResponseServed($"{responseId}-c1", turn, retryText, model, PromptText: prompt, RegeneratedFrom: responseId, CandidateIndex: 1, LatencyMs: 300 + random.Next(2500), Surface: "web", Locale: "en-US"), 1800));
                    if (random.NextDouble() < 0.3)
                    {
                        turnEvents.Add(Make(new ReactionSet($"{responseId}-c1", Reaction.Love, 4000), 4000));
                    }
                }

                if (random.NextDouble() < 0.35)
                {
                    var happy = random.NextDouble() < 0.45;
                    var utterance = happy ? Satisfied[random.Next(Satisfied.Length)] : Dissatisfied[random.Next(Dissatisfied.Length)];
                    turnEvents.Add(Make(new FollowupSent(responseId, utterance, readMs + 6000), 6000));
                }

                foreach (var e in turnEvents)
                {
                    if (produced >= options.Events)
                    {
                        break;
                    }

                    produced++;
                    yield return new SimulatedItem(e, false, null, null);
                    if (random.NextDouble() < options.DuplicateRate)
                    {
                        pendingDuplicates.Add(e);
                    }

                    if (random.NextDouble() < options.InvalidRate)
                    {
                        yield return Invalid(random, app, user, conversationId, clock);
                    }
                }

                // Retries arrive a little later than the originals.
                if (pendingDuplicates.Count > 16)
                {
                    foreach (var duplicate in pendingDuplicates)
                    {
                        yield return new SimulatedItem(duplicate, true, null, null);
                    }

                    pendingDuplicates.Clear();
                }
            }
        }

        foreach (var duplicate in pendingDuplicates)
        {
            yield return new SimulatedItem(duplicate, true, null, null);
        }
    }

    private static string Filler(Random random) => random.Next(6) switch
    {
        0 => "break the problem into smaller steps",
        1 => "check the assumptions against an example",
        2 => "write down what you expect before you run it",
        3 => "compare two options side by side",
        4 => "keep a short list of what worked",
        _ => "ask what the simplest version would look like",
    };

    /// <summary>An event that breaks the contract in one of a few realistic ways; the gateway must reject it with a reason.</summary>
    private static SimulatedItem Invalid(Random random, string app, string user, string conversation, DateTimeOffset clock)
    {
        var id = $"{conversation}-bad-{random.Next(1_000_000):D6}";
        var at = clock.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        string Envelope(string type, string occurredAt, string payload) =>
            $$"""{"event_id":"{{id}}","type":"{{type}}","schema_version":1,"app_id":"{{app}}","occurred_at":"{{occurredAt}}","user_id":"{{user}}","conversation_id":"{{conversation}}","payload":{{payload}}}""";
        return random.Next(5) switch
        {
            0 => new SimulatedItem(null, false, Envelope("reaction.set", at, """{"response_id":"r","reaction":"superlove"}"""), $"{app}|unknown reaction"),
            1 => new SimulatedItem(null, false, Envelope("followup.sent", at, """{"text":"hello"}"""), $"{app}|missing response_id"),
            2 => new SimulatedItem(null, false, Envelope("reaction.set", "yesterday", """{"response_id":"r","reaction":"love"}"""), $"{app}|malformed occurred_at"),
            3 => new SimulatedItem(null, false, Envelope("response.action", at, """{"response_id":"r","action":"edit"}"""), $"{app}|edit without edited_text"),
            _ => new SimulatedItem(null, false, Envelope("reaction.set", clock.AddDays(2).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), """{"response_id":"r","reaction":"love"}"""), $"{app}|occurred_at in the future"),
        };
    }
}
