using FeedbackStream.Mining;

namespace FeedbackStream.Simulator;

/// <summary>Pair quality at one noise level, with denoising on or off.</summary>
/// <param name="Precision">Share of mined pairs whose chosen response has the higher true (population) utility.</param>
/// <param name="Recall">Share of the reference pairs (correct pairs the same miner finds in the noise-free stream) found again, same orientation.</param>
public sealed record MiningScore(double Noise, bool Denoising, int Pairs, int CorrectPairs, double Precision, int ReferencePairs, int Recovered, double Recall, int Labels, int DroppedSignals);

/// <summary>
/// Measures mining against a simulation with known truth: labels and pairs are computed exactly as the labelling
/// worker computes them (<see cref="SignalLabeler"/> then <see cref="SiblingMiner"/>), in memory.
/// </summary>
public static class MiningEvaluation
{
    public static IReadOnlyList<MiningScore> Run(IEnumerable<double> noiseLevels, TruthSimulationOptions baseline, IFollowupScorer followups, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        var results = new List<MiningScore>();
        var cleanOptions = Copy(baseline, 0);
        var clean = TruthSimulator.Generate(cleanOptions, start);
        var reference = MineWithStats(clean, new MiningOptions(), followups).Pairs
            .Where(p => IsCorrect(p, clean.TrueUtility))
            .Select(p => (p.ChosenResponseId, p.RejectedResponseId))
            .ToHashSet();
        foreach (var noise in noiseLevels)
        {
            var noisy = TruthSimulator.Generate(Copy(baseline, noise), start);
            foreach (var denoising in new[] { true, false })
            {
                var options = new MiningOptions { Denoising = new DenoisingOptions { Enabled = denoising } };
                var (pairs, labels, dropped) = MineWithStats(noisy, options, followups);
                var correct = pairs.Count(p => IsCorrect(p, noisy.TrueUtility));
                var recovered = pairs.Count(p => reference.Contains((p.ChosenResponseId, p.RejectedResponseId)));
                results.Add(new MiningScore(
                    noise, denoising, pairs.Count, correct, pairs.Count == 0 ? 0 : Math.Round(correct / (double)pairs.Count, 4),
                    reference.Count, recovered, reference.Count == 0 ? 0 : Math.Round(recovered / (double)reference.Count, 4), labels, dropped));
            }
        }

        return results;
    }

    private static TruthSimulationOptions Copy(TruthSimulationOptions o, double noise) => new()
    {
        Prompts = o.Prompts,
        ResponsesPerPrompt = o.ResponsesPerPrompt,
        Users = o.Users,
        Seed = o.Seed,
        TasteSpread = o.TasteSpread,
        Noise = noise,
    };

    private static bool IsCorrect(PreferencePair pair, IReadOnlyDictionary<string, double> truth) =>
        truth.TryGetValue(pair.ChosenResponseId, out var chosen) && truth.TryGetValue(pair.RejectedResponseId, out var rejected) && chosen > rejected;

    private static (List<PreferencePair> Pairs, int Labels, int Dropped) MineWithStats(TruthSimulation simulation, MiningOptions options, IFollowupScorer followups)
    {
        var stored = simulation.Events.Select(e => new StoredEvent(e.Event, e.StoredAt)).ToList();
        var (profiles, population) = UserProfiles.Build(stored.Select(s => s.Event));
        var now = stored.Max(s => s.IngestedAt) + options.SettleWindow + TimeSpan.FromMinutes(1);
        var batch = new SignalLabeler(options, followups).Label(stored, profiles, population, now);
        var pairs = batch.Pairs.Concat(SiblingMiner.Mine(batch.Labels, options)).ToList();
        return (pairs, batch.Labels.Count, batch.Decisions.Count(d => d.Action == DecisionAction.Dropped));
    }
}
