using System.CommandLine;
using System.Globalization;
using FeedbackStream.Gateway;
using FeedbackStream.Hosting;
using Spectre.Console;

namespace FeedbackStream.Evaluation;

/// <summary>
/// <c>feedbackstream eval redaction</c>: recall per kind of personal data and the false-positive rate of the gateway's
/// redactor on its generated corpus (<see cref="RedactionCorpus"/>); the measuring lives in <see cref="RedactionEvaluation"/>.
/// </summary>
internal static class EvalRedactionCommand
{
    public static Command Create()
    {
        var seed = new Option<int>("--seed") { Description = "Corpus seed (the default is the reviewed corpus).", DefaultValueFactory = _ => RedactionCorpus.DefaultSeed };
        var misses = new Option<int>("--show-misses") { Description = "Print up to this many misses (missed personal data and false positives).", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object on the last line." };
        var command = new Command("redaction", "Recall per kind of personal data and false positives of the gateway's redaction, on a generated corpus.") { seed, misses, json };
        command.SetAction(parse =>
        {
            var report = RedactionEvaluation.Run(parse.GetValue(seed), Math.Max(0, parse.GetValue(misses)));
            var table = new Table().AddColumns("kind", "samples", "redacted", "recall", "right placeholder");
            foreach (var kind in report.Kinds)
            {
                table.AddRow(kind.Kind, $"{kind.Samples:N0}", $"{kind.Redacted:N0}", kind.Recall.ToString("F4", CultureInfo.InvariantCulture), $"{kind.RightPlaceholder:N0}");
            }

            table.AddRow("not personal data", $"{report.NonPiiSamples:N0}", $"{report.FalsePositives:N0} changed", $"fp rate {report.FalsePositiveRate.ToString("F4", CultureInfo.InvariantCulture)}", "-");
            AnsiConsole.Write(table);
            foreach (var miss in report.Misses)
            {
                Console.WriteLine($"miss {miss.Kind ?? "not-pii"}/{miss.Variant}: {miss.Text} => {miss.Output}");
            }

            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(report);
            }

            return report.Kinds.All(k => k.Recall >= 0.99) && report.FalsePositiveRate <= 0.01 ? 0 : 1;
        });
        return command;
    }
}
