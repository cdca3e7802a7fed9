using System.CommandLine;
using System.Globalization;
using FeedbackStream.Hosting;
using FeedbackStream.Storage.Labels;
using Spectre.Console;

namespace FeedbackStream.Cli;

/// <summary>
/// <c>feedbackstream labels set-aside|retry</c>: the conversations labellers could not label and set aside
/// (<c>labeling_set_aside</c>), and their release, so the next reconciliation sweep labels them again.
/// </summary>
internal static class LabelCommands
{
    public static Command Create()
    {
        var labels = new Command("labels", "The conversations labellers set aside, and labelling them again.");
        labels.Subcommands.Add(CreateList());
        labels.Subcommands.Add(CreateRetry());
        return labels;
    }

    private static Command CreateList()
    {
        var app = new Option<string?>("--app") { Description = "Only this app's conversations." };
        var limit = new Option<int>("--limit") { Description = "At most this many, latest first.", DefaultValueFactory = _ => 50 };
        limit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--limit must be at least 1.");
            }
        });
        var json = new Option<bool>("--json") { Description = "Print them as one JSON array on the last line." };
        var command = new Command(
            "set-aside",
            "The conversations a labeller set aside after they failed alone on Labeling:AttemptsBeforeSetAside passes: where their records are and the last error. " +
            "Reads the same configuration chain as serve.")
        {
            app, limit, json,
        };
        var settings = DataSettings.AddTo(command);
        command.SetAction((parse, cancellationToken) => settings.RunAsync(parse, async (target, _) =>
        {
            var rows = await new LabelRepository(target.Client).SetAsideConversationsAsync(parse.GetValue(app), parse.GetValue(limit), cancellationToken);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(rows.Select(r => new
                {
                    r.Key.AppId,
                    r.Key.ConversationId,
                    r.Topic,
                    r.Partition,
                    r.FirstOffset,
                    r.LastOffset,
                    r.Attempts,
                    r.Error,
                    r.SetAsideAt,
                }));
                return 0;
            }

            var table = new Table().AddColumns("app", "conversation", "partition", "offsets", "attempts", "set aside at", "error");
            foreach (var r in rows)
            {
                table.AddRow(
                    Markup.Escape(r.Key.AppId), Markup.Escape(r.Key.ConversationId), r.Partition.ToString(CultureInfo.InvariantCulture),
                    $"{r.FirstOffset}-{r.LastOffset}", r.Attempts.ToString(CultureInfo.InvariantCulture), r.SetAsideAt.ToString("O", CultureInfo.InvariantCulture), Markup.Escape(r.Error));
            }

            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"{rows.Count} conversation(s) set aside");
            return 0;
        }, cancellationToken));
        return command;
    }

    private static Command CreateRetry()
    {
        var app = new Option<string>("--app") { Description = "The app whose conversations are released.", Required = true };
        var conversation = new Option<string?>("--conversation") { Description = "The conversation to release." };
        var all = new Option<bool>("--all") { Description = "Release every set-aside conversation of the app." };
        var json = new Option<bool>("--json") { Description = "Print the count as one JSON object on the last line." };
        var command = new Command(
            "retry",
            "Releases set-aside conversations (their rows in labeling_set_aside are deleted): the next reconciliation sweep (Labeling:SweepInterval) of the labeller " +
            "owning each one's partition labels it again; one that still fails alone on Labeling:AttemptsBeforeSetAside sweeps is set aside again with its new error.")
        {
            app, conversation, all, json,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(conversation) is null == !r.GetValue(all))
            {
                r.AddError("Give either --conversation ID or --all.");
            }
        });
        var settings = DataSettings.AddTo(command);
        command.SetAction((parse, cancellationToken) => settings.RunAsync(parse, async (target, _) =>
        {
            var appId = parse.GetValue(app)!;
            var released = await new LabelRepository(target.Client).ReleaseSetAsideAsync(appId, parse.GetValue(conversation), cancellationToken);
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(new { AppId = appId, Released = released });
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated(
                    $"released {released} set-aside conversation(s) of {appId}; the next reconciliation sweep labels them again");
            }

            return 0;
        }, cancellationToken));
        return command;
    }
}
