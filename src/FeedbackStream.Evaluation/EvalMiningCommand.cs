using System.CommandLine;
using System.Globalization;
using FeedbackStream.Hosting;
using FeedbackStream.Mining;
using FeedbackStream.Simulator;
using Spectre.Console;

namespace FeedbackStream.Evaluation;

/// <summary>
/// <c>feedbackstream eval mining</c>: pair precision and recall against a simulation with known truth, per noise level,
/// with denoising on and off. Labels and pairs are computed by the same code the labelling worker runs.
/// </summary>
internal static class EvalMiningCommand
{
    public sealed record Output(int Prompts, int ResponsesPerPrompt, int Users, int Seed, IReadOnlyList<MiningScore> Results, double Seconds);

    public static Command Create(Func<IFollowupScorer> followups)
    {
        var noise = new Option<string>("--noise") { Description = "Comma-separated noise levels (share of reaction events from noise sources).", DefaultValueFactory = _ => "0.1,0.2,0.3,0.4" };
        var prompts = new Option<int>("--prompts") { Description = "Distinct prompts.", DefaultValueFactory = _ => 400 };
        var responses = new Option<int>("--responses-per-prompt") { Description = "Candidate responses per prompt.", DefaultValueFactory = _ => 6 };
        var users = new Option<int>("--users") { Description = "Simulated users.", DefaultValueFactory = _ => 1500 };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 42 };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object on the last line." };
        var command = new Command("mining", "Pair precision and recall against simulated truth, per noise level, denoising on and off.") { noise, prompts, responses, users, seed, json };
        command.SetAction(parse =>
        {
            var levels = parse.GetValue(noise)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToList();
            if (levels.Any(l => l is < 0 or >= 1))
            {
                Console.Error.WriteLine("--noise levels must be in [0, 1).");
                return 2;
            }

            var options = new TruthSimulationOptions { Prompts = parse.GetValue(prompts), ResponsesPerPrompt = parse.GetValue(responses), Users = parse.GetValue(users), Seed = parse.GetValue(seed) };
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var results = MiningEvaluation.Run(levels, options, followups(), new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
            var table = new Table().AddColumns("noise", "denoising", "pairs", "precision", "recall", "reference pairs", "dropped signals");
            foreach (var r in results)
            {
                table.AddRow(r.Noise.ToString("P0", CultureInfo.InvariantCulture), r.Denoising ? "on" : "off", $"{r.Pairs:N0}", $"{r.Precision:F3}", $"{r.Recall:F3}", $"{r.ReferencePairs:N0}", $"{r.DroppedSignals:N0}");
            }

            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine("[grey]precision: share of mined pairs whose chosen response has the higher true population utility; recall: share of the correct pairs mined from the same simulation without noise that are found again.[/]");
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(new Output(options.Prompts, options.ResponsesPerPrompt, options.Users, options.Seed, results, Stats.Round(watch.Elapsed.TotalSeconds)));
            }

            return 0;
        });
        return command;
    }
}
