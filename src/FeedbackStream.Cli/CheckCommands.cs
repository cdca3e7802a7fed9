using System.CommandLine;
using System.Globalization;
using FeedbackStream.Hosting;
using FeedbackStream.Mining;
using FeedbackStream.Storage.Labels;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace FeedbackStream.Cli;

/// <summary><c>feedbackstream check labels</c>: the labelling invariant, counted by an anti-join in ClickHouse.</summary>
internal static class CheckCommands
{
    public static Command Create()
    {
        var check = new Command("check", "Check the product's invariants against the stored data.");
        check.Subcommands.Add(CreateLabels());
        return check;
    }

    private static Command CreateLabels()
    {
        var examples = new Option<int>("--examples") { Description = "How many violations to print.", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "Print the report as one JSON object on the last line." };
        var command = new Command(
            "labels",
            "Every served response whose last activity is older than Mining:SettleWindow + Mining:SettleGrace has exactly one current label. " +
            "Reads the same configuration chain as serve (file, FEEDBACKSTREAM_ environment, --Section:Key=value). Exit 0 when none is violated, 4 otherwise.")
        {
            examples, json,
        };
        var settings = DataSettings.AddTo(command);
        command.SetAction((parse, cancellationToken) => settings.RunAsync(parse, async (target, configuration) =>
        {
            var mining = configuration.GetSection("Mining").Get<MiningOptions>() ?? new MiningOptions();
            var client = target.Client;
            var report = await new LabelInvariant(client).CheckAsync(SettlePolicy.From(mining), DateTimeOffset.UtcNow, parse.GetValue(examples), cancellationToken);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(new
                {
                    report.Horizon,
                    report.SettledResponses,
                    report.Violations,
                    report.Missing,
                    report.Stale,
                    report.DuplicateLabels,
                    report.SetAside,
                    report.SharedResponseIds,
                    report.Examples,
                });
            }
            else
            {
                Print(report);
            }

            return report.Violations == 0 ? 0 : 4;
        }, cancellationToken));
        return command;
    }

    private static void Print(LabelCheckReport report)
    {
        var table = new Table().AddColumns("check", "count");
        table.AddRow("settled served responses", report.SettledResponses.ToString(CultureInfo.InvariantCulture));
        table.AddRow("without a label", report.Missing.ToString(CultureInfo.InvariantCulture));
        table.AddRow("label older than the last activity", report.Stale.ToString(CultureInfo.InvariantCulture));
        table.AddRow("more than one label id", report.DuplicateLabels.ToString(CultureInfo.InvariantCulture));
        table.AddRow("of the unlabelled, in conversations a labeller set aside", report.SetAside.ToString(CultureInfo.InvariantCulture));
        table.AddRow("response ids served in several conversations (left out)", report.SharedResponseIds.ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        foreach (var v in report.Examples)
        {
            AnsiConsole.MarkupLineInterpolated(
                $"[yellow]{v.Kind}[/] app {v.AppId} conversation {v.ConversationId} response {v.ResponseId} (partition {v.KafkaPartition}): last activity {v.LastActivity:O}, label {(v.LabelLastSignalAt is { } at ? at.ToString("O", CultureInfo.InvariantCulture) : "none")}{(v.SetAsideError is { } error ? $"; set aside by a labeller: {error}" : "")}");
        }

        AnsiConsole.MarkupLine(report.Violations == 0
            ? $"[green]0 violations[/] (horizon {report.Horizon:O})"
            : $"[red]{report.Violations} violations[/] (horizon {report.Horizon:O})");
    }
}
