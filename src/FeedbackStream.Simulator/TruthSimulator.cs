using FeedbackStream.Contracts;

namespace FeedbackStream.Simulator;

/// <summary>Shape and noise of a simulation with known truth.</summary>
public sealed class TruthSimulationOptions
{
    public int Prompts { get; set; } = 400;

    /// <summary>Responses generated per prompt (different candidates, each shown to a different user).</summary>
    public int ResponsesPerPrompt { get; set; } = 6;

    public int Users { get; set; } = 1500;

    /// <summary>Share of all reaction events that come from noise sources (accidental taps, bots, brigades, love-everything users, toggles).</summary>
    public double Noise { get; set; } = 0.3;

    public int Seed { get; set; } = 42;

    /// <summary>How much users' tastes differ: spread of the per-user preference weights around the population mean.</summary>
    public double TasteSpread { get; set; } = 0.35;
}

/// <summary>A simulated stream and the truth behind it.</summary>
/// <param name="Events">Everything the apps sent, in arrival order, with the pipeline's storage time.</param>
/// <param name="TrueUtility">Population-mean utility of each response (the latent truth pairs are judged against).</param>
/// <param name="NoiseEvents">Event ids produced by noise sources.</param>
public sealed record TruthSimulation(IReadOnlyList<(FeedbackEvent Event, DateTimeOffset StoredAt)> Events, IReadOnlyDictionary<string, double> TrueUtility, IReadOnlySet<string> NoiseEvents);

/// <summary>
/// Simulated users with latent preferences over response traits (helpfulness, correctness, concision, warmth). A
/// response's utility to a user is the user's weights dot the response's traits; its population utility (the truth) is
/// the mean weights dot the traits. Honest users react stochastically to their utility: Love when clearly good, dislike
/// or regenerate when clearly bad, satisfied or dissatisfied follow-ups, copies and shares. Noise sources, mixed in
/// to a target share of reaction events: accidental taps (any reaction, implausibly fast), spam bots (one reaction,
/// high volume), brigades (bursts of dislikes from many accounts on one response), love-everything users, and toggles
/// (a reaction set and cleared again). Deterministic for a seed.
/// </summary>
public static class TruthSimulator
{
    private const int Traits = 4;
    private static readonly double[] MeanTaste = [1.0, 1.2, 0.5, 0.4];

    public static TruthSimulation Generate(TruthSimulationOptions options, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(options);
        var random = new Random(options.Seed);
        var tastes = Enumerable.Range(0, options.Users).Select(_ => MeanTaste.Select(m => m + (options.TasteSpread * random.NextGaussian())).ToArray()).ToArray();
        var events = new List<(FeedbackEvent, DateTimeOffset)>();
        var truth = new Dictionary<string, double>(StringComparer.Ordinal);
        var noise = new HashSet<string>(StringComparer.Ordinal);
        var served = new List<(string ResponseId, string Conversation, string User, DateTimeOffset At, int Length)>();
        var honestReactions = 0;
        var sequence = 0;
        string Id() => $"ev-{options.Seed}-{sequence++:D8}";
        void Add(FeedbackEvent e, DateTimeOffset storedAt, bool isNoise)
        {
            events.Add((e, storedAt));
            if (isNoise)
            {
                noise.Add(e.EventId);
            }
        }

        var clock = start;
        for (var p = 0; p < options.Prompts; p++)
        {
            var prompt = $"Prompt {p}: explain topic number {p} briefly";
            for (var r = 0; r < options.ResponsesPerPrompt; r++)
            {
                var traits = Enumerable.Range(0, Traits).Select(_ => random.NextGaussian()).ToArray();
                var user = random.Next(options.Users);
                var userId = $"user-{user:D5}";
                var conversation = $"conv-{p:D5}-{r:D2}";
                var responseId = $"resp-{p:D5}-{r:D2}";
                var text = $"Answer {r} to prompt {p}: " + new string('a', 80 + random.Next(400));
                truth[responseId] = Dot(MeanTaste, traits);
                var utility = Dot(tastes[user], traits);
                clock = clock.AddSeconds(1 + random.Next(5));
                var at = clock;
                Add(FeedbackEvent.Create(Id(), "sim-app", at, userId, conversation, new ResponseServed(responseId, 0, text, "model-a", PromptText: prompt)), at.AddSeconds(1), false);
                served.Add((responseId, conversation, userId, at, text.Length));
                var readMs = 2000 + (text.Length * 15) + random.Next(4000);
                var reacted = false;
                var pLove = Sigmoid(2.2 * (utility - 1.6));
                var pDislike = Sigmoid(2.2 * (-utility - 1.6));
                var roll = random.NextDouble();
                if (roll < pLove)
                {
                    Add(Event(Id(), userId, conversation, at.AddMilliseconds(readMs), new ReactionSet(responseId, Reaction.Love, readMs)), at.AddMilliseconds(readMs + 500), false);
                    reacted = true;
                }
                else if (roll < pLove + pDislike)
                {
                    Add(Event(Id(), userId, conversation, at.AddMilliseconds(readMs), new ReactionSet(responseId, Reaction.Dislike, readMs)), at.AddMilliseconds(readMs + 500), false);
                    reacted = true;
                }

                if (reacted)
                {
                    honestReactions++;
                }

                if (random.NextDouble() < 0.3 && Math.Abs(utility) > 0.8)
                {
                    var text2 = utility > 0 ? "thanks, that is exactly what I needed" : "no, that is wrong";
                    Add(Event(Id(), userId, conversation, at.AddMilliseconds(readMs + 8000), new FollowupSent(responseId, text2, readMs + 8000)), at.AddMilliseconds(readMs + 8500), false);
                }

                if (utility > 1.0 && random.NextDouble() < 0.25)
                {
                    Add(Event(Id(), userId, conversation, at.AddMilliseconds(readMs + 1000), new ResponseAction(responseId, ActionKind.Copy, null, readMs + 1000)), at.AddMilliseconds(readMs + 1500), false);
                }
            }
        }

        // Noise, to the requested share of reaction events: n / (1 - n) noise reactions per honest one.
        var noiseTarget = options.Noise <= 0 ? 0 : (int)Math.Round(honestReactions * options.Noise / (1 - options.Noise));
        var bots = Enumerable.Range(0, 12).Select(i => $"bot-{i:D2}").ToArray();
        var lovers = Enumerable.Range(0, 40).Select(i => $"lover-{i:D3}").ToArray();
        var produced = 0;
        while (produced < noiseTarget)
        {
            var target = served[random.Next(served.Count)];
            var kind = random.Next(5);
            switch (kind)
            {
                case 0:
                    // Accidental tap by the conversation's user: a random reaction, far too fast to have read the answer.
                    var tapMs = 50 + random.Next(250);
                    var reaction = random.NextDouble() < 0.5 ? Reaction.Love : Reaction.Dislike;
                    Add(Event(Id(), target.User, target.Conversation, target.At.AddMilliseconds(tapMs), new ReactionSet(target.ResponseId, reaction, tapMs)), target.At.AddSeconds(2), true);
                    produced++;
                    break;
                case 1:
                    // Spam bot: always the same reaction, many per minute.
                    var bot = bots[random.Next(bots.Length)];
                    var botReaction = bot.EndsWith('0') || bot.EndsWith('2') ? Reaction.Dislike : Reaction.Love;
                    var burstStart = target.At.AddSeconds(30);
                    for (var i = 0; i < 25 && produced < noiseTarget; i++)
                    {
                        var victim = served[random.Next(served.Count)];
                        var botAt = burstStart.AddSeconds(i * 2);
                        Add(Event(Id(), bot, victim.Conversation, botAt, new ReactionSet(victim.ResponseId, botReaction, 5000)), botAt.AddSeconds(1), true);
                        produced++;
                    }

                    break;
                case 2:
                    // Brigade: many accounts dislike one response within minutes.
                    var raiders = 6 + random.Next(10);
                    for (var i = 0; i < raiders && produced < noiseTarget; i++)
                    {
                        var raidAt = target.At.AddSeconds(60 + (i * 10));
                        Add(Event(Id(), $"raider-{random.Next(100000):D5}", target.Conversation, raidAt, new ReactionSet(target.ResponseId, Reaction.Dislike, 20000)), raidAt.AddSeconds(1), true);
                        produced++;
                    }

                    break;
                case 3:
                    // A love-everything user (also served many responses, so their rate is visible).
                    var lover = lovers[random.Next(lovers.Length)];
                    var loveAt = target.At.AddSeconds(20);
                    Add(FeedbackEvent.Create(Id(), "sim-app", target.At, lover, target.Conversation + "-l", new ResponseServed(target.ResponseId + "-l" + produced, 0, "x", "model-a", PromptText: "unrelated")), target.At.AddSeconds(1), true);
                    Add(Event(Id(), lover, target.Conversation, loveAt, new ReactionSet(target.ResponseId, Reaction.Love, 20000)), loveAt.AddSeconds(1), true);
                    produced++;
                    break;
                default:
                    // Toggle: a reaction set by mistake and cleared again.
                    var toggle = random.NextDouble() < 0.5 ? Reaction.Love : Reaction.Dislike;
                    var setAt = target.At.AddSeconds(15);
                    Add(Event(Id(), target.User, target.Conversation, setAt, new ReactionSet(target.ResponseId, toggle, 15000)), setAt.AddSeconds(1), true);
                    Add(Event(Id(), target.User, target.Conversation, setAt.AddSeconds(4), new ReactionCleared(target.ResponseId, toggle, 19000)), setAt.AddSeconds(5), true);
                    produced++;
                    break;
            }
        }

        return new TruthSimulation(events.OrderBy(e => e.Item2).ToList(), truth, noise);
    }

    private static FeedbackEvent Event(string id, string user, string conversation, DateTimeOffset at, EventPayload payload) =>
        FeedbackEvent.Create(id, "sim-app", at, user, conversation, payload);

    private static double Dot(double[] a, double[] b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
