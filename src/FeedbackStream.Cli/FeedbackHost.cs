using System.Net;
using ClickHouse.Driver;
using FeedbackStream.EmbeddedClickHouse;
using FeedbackStream.EmbeddedKafka;
using FeedbackStream.Gateway;
using FeedbackStream.Models;
using FeedbackStream.Pipeline;
using FeedbackStream.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FeedbackStream.Cli;

/// <summary>A setting the host cannot start with; its message names the setting and is printed as is (no stack trace).</summary>
internal sealed class HostConfigurationException(string message) : Exception(message);

/// <summary>Which parts a process runs.</summary>
[Flags]
internal enum HostRoles
{
    Gateway = 1,
    Pipeline = 2,
    All = Gateway | Pipeline,
}

/// <summary>
/// Composes a FeedbackStream process from configuration: the gateway, the pipeline or both, on real servers
/// (<c>Kafka:BootstrapServers</c>, <c>ClickHouse:ConnectionString</c>) or on the embedded default (librdkafka's mock
/// cluster and the chDB engine in this process) when those are empty.
/// </summary>
internal sealed class FeedbackHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly KafkaMockCluster? _cluster;
    private readonly ClickHouseTarget _clickHouse;
    private readonly ClickHouseHttpListener? _clickHouseListener;

    private FeedbackHost(WebApplication app, KafkaMockCluster? cluster, ClickHouseTarget clickHouse, ClickHouseHttpListener? listener, string database, string bootstrap, Uri? gateway)
    {
        _app = app;
        _cluster = cluster;
        _clickHouse = clickHouse;
        _clickHouseListener = listener;
        Database = database;
        KafkaBootstrapServers = bootstrap;
        GatewayAddress = gateway;
    }

    public string Database { get; }

    public string KafkaBootstrapServers { get; }

    /// <summary>The HTTP address this process serves (the gateway, or a pipeline-only process's health endpoints).</summary>
    public Uri? GatewayAddress { get; }

    public Uri? ClickHouseHttpAddress => _clickHouseListener?.Address;

    public KafkaMockCluster? EmbeddedKafka => _cluster;

    public string ClickHouseDescription => _clickHouse.Description;

    public PipelineStatus? Pipeline => _app.Services.GetService<PipelineStatus>();

    public IServiceProvider Services => _app.Services;

    public ClickHouseClient CreateClickHouseClient() => _clickHouse.CreateClient(Database);

    /// <summary>Defaults every host starts from; configuration overrides them.</summary>
    public static IReadOnlyDictionary<string, string?> Defaults { get; } = new Dictionary<string, string?>
    {
        ["Gateway:Urls"] = "http://127.0.0.1:8080",
        ["ClickHouse:DataPath"] = ClickHouseCommands.DefaultDataPath,
        ["ClickHouse:Database"] = MigrateCommand.DefaultDatabase,
        ["Kafka:EmbeddedBrokers"] = "3",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:FeedbackStream"] = "Information",
    };

    public static async Task<FeedbackHost> StartAsync(IConfiguration configuration, HostRoles roles, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration["ClickHouse:Database"] is { } name && !MigrateCommand.IsValidDatabaseName(name))
        {
            // Checked before any engine starts: a bad name is a one-line error, not a stack trace.
            throw new HostConfigurationException($"ClickHouse:Database '{name}' is not a valid ClickHouse database name: use letters, digits and '_', not starting with a digit.");
        }

        var overrides = new Dictionary<string, string?>();
        KafkaMockCluster? cluster = null;
        ClickHouseTarget? clickHouse = null;
        ClickHouseHttpListener? listener = null;
        try
        {
            var bootstrap = configuration["Kafka:BootstrapServers"];
            var topic = configuration["Kafka:Topic"] is { Length: > 0 } t ? t : KafkaOptions.DefaultTopic;
            if (string.IsNullOrWhiteSpace(bootstrap))
            {
                cluster = KafkaMockCluster.Start(int.Parse(configuration["Kafka:EmbeddedBrokers"] ?? "3", System.Globalization.CultureInfo.InvariantCulture));
                cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
                // The mock cluster keeps only the newest ~5 MiB per partition (measured): more partitions give a lagging
                // pipeline more room before records would be deleted unread.
                cluster.CreateTopic(topic, int.Parse(configuration["Kafka:EmbeddedTopicPartitions"] ?? configuration["Kafka:TopicPartitions"] ?? "24", System.Globalization.CultureInfo.InvariantCulture));
                bootstrap = cluster.BootstrapServers;
                overrides["Kafka:BootstrapServers"] = bootstrap;
            }

            var database = configuration["ClickHouse:Database"] ?? MigrateCommand.DefaultDatabase;
            clickHouse = ClickHouseTarget.Open(configuration["ClickHouse:ConnectionString"], configuration["ClickHouse:DataPath"] ?? ClickHouseCommands.DefaultDataPath);
            using (var admin = clickHouse.CreateClient())
            {
                await new Migrator(admin, database).MigrateAsync(cancellationToken);
            }

            if (int.TryParse(configuration["ClickHouse:HttpPort"], out var httpPort) && clickHouse.Embedded is { } embedded)
            {
                listener = await ClickHouseHttpListener.StartAsync(embedded.Core, httpPort, cancellationToken: cancellationToken);
            }

            var builder = WebApplication.CreateSlimBuilder();
            builder.Configuration.AddConfiguration(configuration);
            builder.Configuration.AddInMemoryCollection(overrides);
            builder.Logging.ClearProviders();
            builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
            // Logs go to standard error: standard output carries what commands print (with --json, a JSON object last).
            builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            // A pipeline-only process serves its health endpoints on Pipeline:Urls (a free loopback port by default).
            var urls = roles.HasFlag(HostRoles.Gateway)
                ? builder.Configuration["Gateway:Urls"] ?? "http://127.0.0.1:8080"
                : builder.Configuration["Pipeline:Urls"] ?? "http://127.0.0.1:0";
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries))
                {
                    var uri = new Uri(url);
                    var address = uri.Host is "localhost" ? IPAddress.Loopback : IPAddress.Parse(uri.Host);
                    kestrel.Listen(address, uri.Port);
                }
            });
            builder.Services.AddKafkaOptions(builder.Configuration);
            var target = clickHouse;
            if (roles.HasFlag(HostRoles.Gateway))
            {
                builder.Services.AddFeedbackGateway(builder.Configuration);
                builder.Services.AddFeedbackModels(builder.Configuration, _ => target.CreateClient(database), scoring: true);
            }

            if (roles.HasFlag(HostRoles.Pipeline))
            {
                builder.Services.AddFeedbackPipeline(builder.Configuration, _ => target.CreateClient(database));
                builder.Services.AddFeedbackLabeling(
                    builder.Configuration,
                    _ => target.CreateClient(database),
                    _ => new FeedbackStream.Pipeline.Labeling.FollowupScorer(FeedbackStream.Followups.Lexicon.LexiconClassifier.Default));
            }

            var app = builder.Build();
            if (roles.HasFlag(HostRoles.Gateway))
            {
                app.UseFeedbackGateway();
                app.MapFeedbackGateway();
                app.MapFeedbackModels();
            }
            else
            {
                app.MapGet("/health/live", () => Results.Ok(new { status = "live" }));
            }

            if (roles.HasFlag(HostRoles.Pipeline))
            {
                app.MapGet("/health/pipeline", (PipelineStatus status) => status.LastSinkError is null
                    ? Results.Ok(status)
                    : Results.Json(status, statusCode: StatusCodes.Status503ServiceUnavailable));
            }

            await app.StartAsync(cancellationToken);
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var gateway = new Uri(bound.EndsWith('/') ? bound : bound + "/");

            return new FeedbackHost(app, cluster, clickHouse, listener, database, bootstrap, gateway);
        }
        catch
        {
            if (listener is not null)
            {
                await listener.DisposeAsync();
            }

            clickHouse?.Dispose();
            cluster?.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_clickHouseListener is not null)
        {
            await _clickHouseListener.DisposeAsync();
        }

        _clickHouse.Dispose();
        _cluster?.Dispose();
    }
}
