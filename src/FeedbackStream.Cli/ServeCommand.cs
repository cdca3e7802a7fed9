using System.CommandLine;
using FeedbackStream.Hosting;
using Microsoft.Extensions.Configuration;

namespace FeedbackStream.Cli;

/// <summary>
/// <c>feedbackstream serve</c>: runs the ingest gateway and/or the pipeline worker until stopped. Settings come from
/// built-in defaults, then an optional JSON file (<c>--config</c>), then environment variables prefixed
/// <c>FEEDBACKSTREAM_</c> (sections joined by <c>__</c>), then <c>--Section:Key=value</c> arguments.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var role = new Option<string>("--role") { Description = "all, gateway, pipeline, labeler or trainer (run several processes of a role to scale it out; trainers share jobs over Messaging:Transport=RabbitMq).", DefaultValueFactory = _ => "all" };
        role.AcceptOnlyFromAmong("all", "gateway", "pipeline", "labeler", "trainer");
        var config = new Option<FileInfo?>("--config") { Description = "JSON settings file (sections Kafka, ClickHouse, Gateway, Pipeline)." };
        var json = new Option<bool>("--json") { Description = "Print the bound addresses as one JSON object once serving." };
        var serve = new Command("serve", "Run the ingest gateway and the pipeline worker (embedded Kafka and ClickHouse unless configured otherwise).")
        {
            role, config, json,
        };
        serve.TreatUnmatchedTokensAsErrors = false;
        serve.SetAction(async (parse, cancellationToken) =>
        {
            var roles = parse.GetValue(role) switch
            {
                "gateway" => HostRoles.Gateway,
                "pipeline" => HostRoles.Pipeline,
                "labeler" => HostRoles.Labeler,
                "trainer" => HostRoles.Trainer,
                _ => HostRoles.All,
            };
            FeedbackHost host;
            try
            {
                var configuration = DataSettings.BuildConfiguration(parse.GetValue(config), parse.UnmatchedTokens);
                host = await FeedbackHost.StartAsync(configuration, roles, cancellationToken);
            }
            catch (Exception e) when (e is HostConfigurationException or FileNotFoundException or InvalidDataException or Microsoft.Extensions.Options.OptionsValidationException or FormatException or ArgumentException)
            {
                // A bad setting: say which and why on one line, exit non-zero.
                Console.Error.WriteLine($"feedbackstream serve: {e.Message}");
                return 2;
            }

            await using var hostScope = host;
            var ready = new
            {
                Roles = roles.ToString().ToLowerInvariant(),
                Gateway = host.GatewayAddress?.ToString(),
                KafkaBootstrapServers = host.KafkaBootstrapServers,
                Clickhouse = host.ClickHouseDescription,
                ClickhouseHttp = host.ClickHouseHttpAddress?.ToString(),
                ClickhouseHttpUser = host.ClickHouseHttpAccess?.User,
                ClickhouseHttpPassword = host.ClickHouseHttpAccess?.Password,
                host.Database,
                host.KafkaDurable,
                host.Durability,
            };
            if (parse.GetValue(json))
            {
                JsonOutput.WriteLast(ready);
            }
            else
            {
                Console.WriteLine($"FeedbackStream {ready.Roles}: gateway {ready.Gateway ?? "-"}, Kafka {ready.KafkaBootstrapServers}, ClickHouse {ready.Clickhouse}, database {ready.Database}. Ctrl+C stops.");
                Console.WriteLine(ready.Durability);
                if (ready.ClickhouseHttp is not null)
                {
                    Console.WriteLine($"ClickHouse HTTP interface on {ready.ClickhouseHttp}: user {ready.ClickhouseHttpUser}, password {ready.ClickhouseHttpPassword}");
                }
            }

            await ClickHouseCommands.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return serve;
    }
}
