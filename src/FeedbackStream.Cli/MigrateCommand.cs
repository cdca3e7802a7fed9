using System.CommandLine;
using FeedbackStream.Hosting;
using FeedbackStream.Storage;

namespace FeedbackStream.Cli;

/// <summary><c>feedbackstream migrate</c>: applies the numbered ClickHouse migrations, once each.</summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the outcome as one JSON object on the last line." };
        var command = new Command(
            "migrate",
            "Apply the ClickHouse schema migrations (idempotent; each is recorded with its checksum). On a server this is the job to run before the " +
            "roles start (they only check the schema unless ClickHouse:MigrateOnStart=true). Reads the same configuration chain as serve.")
        {
            json,
        };
        var settings = DataSettings.AddTo(command);
        command.SetAction((parse, cancellationToken) => settings.RunAsync(
            parse,
            async (target, _) =>
            {
                var report = await new Migrator(target.Client, target.Options.Database).MigrateAsync(cancellationToken);
                Console.WriteLine($"{target.Description}, database {report.Database}: applied [{string.Join(", ", report.Applied)}], already applied [{string.Join(", ", report.AlreadyApplied)}]");
                if (parse.GetValue(json))
                {
                    JsonOutput.WriteLast(report);
                }

                return 0;
            },
            cancellationToken,
            prepareSchema: false));
        return command;
    }
}
