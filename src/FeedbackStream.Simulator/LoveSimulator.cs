using System.Text;
using FeedbackStream.Training;

namespace FeedbackStream.Simulator;

/// <summary>Shape of a P[Love] simulation with known truth.</summary>
public sealed class LoveSimulationOptions
{
    public int Responses { get; set; } = 200_000;

    public int Seed { get; set; } = 11;

    public int Users { get; set; } = 20_000;

    /// <summary>Days the traffic spans (served_at is spread evenly over them, in order).</summary>
    public int Days { get; set; } = 60;

    /// <summary>Added to the true logit per 15 words above 35 (0: the truth has no length effect).</summary>
    public double LengthEffect { get; set; }

    /// <summary>Share of users who Love most of what they see regardless of quality (label noise).</summary>
    public double NoisyUserShare { get; set; }

    /// <summary>Share of responses that get a regenerated sibling for the same context (source of preference pairs).</summary>
    public double SiblingShare { get; set; } = 0.1;
}

/// <summary>
/// A simulated stream of settled responses, the truth behind each and the preference pairs between siblings.
/// <see cref="TrueProbability"/>[i] is P[Love] of <see cref="Examples"/>[i] as the simulator drew it; <see cref="CleanLove"/>
/// is the label before noisy users overwrote it.
/// </summary>
public sealed record LoveSimulation(IReadOnlyList<LoveExample> Examples, double[] TrueProbability, bool[] CleanLove, IReadOnlyList<PairExample> Pairs, IReadOnlyList<bool> PairTruth);

/// <summary>
/// Responses whose P[Love] is a known function of what a model can observe: trait phrases in the response text
/// (clarity, correctness, warmth, completeness at five levels each), the topic of the context, the surface, latency,
/// turn index and hour of day. Model versions differ in how good their trait levels are, so their love rates differ.
/// Filler words vary the length independently of the traits; <see cref="LoveSimulationOptions.LengthEffect"/> adds a
/// length effect on purpose. Deterministic for a seed.
/// </summary>
public static class LoveSimulator
{
    private static readonly string[][][] TraitPhrases =
    [
        [["this is hard to follow"], ["roughly speaking"], [], ["in short"], ["here is a clear step by step example"]],
        [["i am not sure this is right"], ["probably"], [], ["this is correct"], ["verified against the documentation"]],
        [["obviously you should know this"], ["as stated"], [], ["happy to help"], ["great question glad you asked"]],
        [["that is all i can say"], ["briefly"], [], ["also note"], ["covering every edge case below"]],
    ];

    private static readonly double[] TraitWeights = [0.6, 0.7, 0.35, 0.4];
    private static readonly string[] Topics = ["coding", "cooking", "legal", "travel", "math"];
    private static readonly double[] TopicEffects = [0.3, 0.0, -0.4, 0.1, -0.1];
    private static readonly string[] Surfaces = ["web", "mobile", "api"];
    private static readonly double[] SurfaceEffects = [0.0, -0.2, -0.5];
    private static readonly string[] Versions = ["model-v1", "model-v2", "model-v3", "model-v4"];
    private static readonly double[] VersionQuality = [-0.35, 0.0, 0.2, 0.4];
    private static readonly string[] Apps = ["chat", "assist"];
    private const double Intercept = -2.75;

    public static LoveSimulation Generate(LoveSimulationOptions options, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(options);
        var random = new Random(options.Seed);
        var vocabulary = Vocabulary(new Random(1234), 3000);
        var topicWords = Topics.Select((_, t) => Vocabulary(new Random(100 + t), 40)).ToArray();
        var noisyUsers = new HashSet<int>(Enumerable.Range(0, options.Users).Where(_ => random.NextDouble() < options.NoisyUserShare));
        var examples = new List<LoveExample>(options.Responses);
        var truth = new List<double>(options.Responses);
        var clean = new List<bool>(options.Responses);
        var pairs = new List<PairExample>();
        var pairTruth = new List<bool>();
        var span = TimeSpan.FromDays(options.Days);
        var builder = new StringBuilder(512);
        var n = 0;
        while (n < options.Responses)
        {
            var at = start + (span * (n / (double)options.Responses));
            var topic = random.Next(Topics.Length);
            var context = Context(random, Topics[topic], topicWords[topic], builder);
            var user = random.Next(options.Users);
            var surface = Pick(random, [0.6, 0.3, 0.1]);
            var turn = Math.Min(5, (int)(-Math.Log(1 - random.NextDouble()) * 1.2));
            var app = Apps[random.Next(Apps.Length)];
            var siblings = random.NextDouble() < options.SiblingShare && n + 1 < options.Responses ? 2 : 1;
            var conversation = $"c{options.Seed}-{n:D8}";
            var made = new List<(LoveExample Example, double Logit)>();
            for (var s = 0; s < siblings; s++)
            {
                // Versions roll out over time: an early share of v1 that fades, v4 growing; every version always serves some traffic.
                var progress = n / (double)options.Responses;
                var version = Pick(random, [0.4 * (1 - progress) + 0.05, 0.3, 0.2, 0.1 + (0.4 * progress)]);
                var latency = Math.Exp(Math.Log(2000) + (0.6 * random.NextGaussian()));
                var hour = at.AddMinutes(s).UtcDateTime.Hour;
                var levels = new int[TraitWeights.Length];
                for (var t = 0; t < levels.Length; t++)
                {
                    levels[t] = Math.Clamp((int)Math.Round(VersionQuality[version] + (1.1 * random.NextGaussian())), -2, 2);
                }

                var (response, words) = Response(random, levels, vocabulary, topicWords[topic], builder);
                var logit = Intercept + TopicEffects[topic] + SurfaceEffects[surface] - (0.35 * Math.Log(latency / 2000)) - (0.08 * turn)
                    + (hour >= 18 ? 0.15 : 0) + (options.LengthEffect * (words - 35) / 15.0);
                for (var t = 0; t < levels.Length; t++)
                {
                    logit += TraitWeights[t] * levels[t];
                }

                var p = 1 / (1 + Math.Exp(-logit));
                var love = random.NextDouble() < p;
                var observed = noisyUsers.Contains(user) ? random.NextDouble() < 0.6 : love;
                var example = new LoveExample(
                    $"lbl-{options.Seed}-{n:D8}", app, $"u{user:D6}", Versions[version], Surfaces[surface], context, response, turn,
                    Math.Round(latency), at.AddMinutes(s), observed);
                examples.Add(example);
                truth.Add(p);
                clean.Add(love);
                made.Add((example, logit));
                n++;
            }

            if (made.Count == 2)
            {
                // The user prefers one sibling with Bradley-Terry probability on the true logits.
                var firstWins = random.NextDouble() < 1 / (1 + Math.Exp(made[1].Logit - made[0].Logit));
                var (chosen, rejected) = firstWins ? (made[0], made[1]) : (made[1], made[0]);
                pairs.Add(new PairExample($"pair-{chosen.Example.Id}-{rejected.Example.Id}", chosen.Example, rejected.Example, rejected.Example.ServedAt.AddMinutes(5)));
                pairTruth.Add(chosen.Logit >= rejected.Logit);
            }
        }

        return new LoveSimulation(examples, truth.ToArray(), clean.ToArray(), pairs, pairTruth);
    }

    private static string Context(Random random, string topic, string[] words, StringBuilder builder)
    {
        builder.Clear().Append("about ").Append(topic).Append(':');
        var count = 4 + random.Next(8);
        for (var i = 0; i < count; i++)
        {
            builder.Append(' ').Append(words[random.Next(words.Length)]);
        }

        return builder.Append('?').ToString();
    }

    private static (string Text, int Words) Response(Random random, int[] levels, string[] vocabulary, string[] topicWords, StringBuilder builder)
    {
        builder.Clear();
        var filler = 15 + random.Next(50);
        var phrases = new List<string>();
        for (var t = 0; t < levels.Length; t++)
        {
            var options = TraitPhrases[t][levels[t] + 2];
            if (options.Length > 0)
            {
                phrases.Add(options[random.Next(options.Length)]);
            }
        }

        // Phrases go in at random word positions among the filler.
        var slots = phrases.Select(_ => random.Next(filler + 1)).OrderBy(x => x).ToList();
        var words = 0;
        var next = 0;
        for (var i = 0; i <= filler; i++)
        {
            while (next < slots.Count && slots[next] == i)
            {
                builder.Append(builder.Length > 0 ? ". " : string.Empty).Append(phrases[next]);
                words += phrases[next].Count(c => c == ' ') + 1;
                next++;
            }

            if (i < filler)
            {
                var word = random.NextDouble() < 0.3 ? topicWords[random.Next(topicWords.Length)] : vocabulary[random.Next(vocabulary.Length)];
                builder.Append(builder.Length > 0 ? " " : string.Empty).Append(word);
                words++;
            }
        }

        return (builder.Append('.').ToString(), words);
    }

    private static string[] Vocabulary(Random random, int size)
    {
        string[] onsets = ["b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "br", "st", "tr", "pl", "gr"];
        string[] vowels = ["a", "e", "i", "o", "u", "ai", "ou", "ea"];
        string[] codas = ["", "n", "r", "s", "t", "l", "nd", "st"];
        var words = new HashSet<string>(StringComparer.Ordinal);
        while (words.Count < size)
        {
            var syllables = 2 + random.Next(2);
            var word = string.Concat(Enumerable.Range(0, syllables).Select(_ => onsets[random.Next(onsets.Length)] + vowels[random.Next(vowels.Length)] + codas[random.Next(codas.Length)]));
            words.Add(word);
        }

        return words.Order(StringComparer.Ordinal).ToArray();
    }

    private static int Pick(Random random, double[] weights)
    {
        var roll = random.NextDouble() * weights.Sum();
        for (var i = 0; i < weights.Length; i++)
        {
            roll -= weights[i];
            if (roll < 0)
            {
                return i;
            }
        }

        return weights.Length - 1;
    }
}
