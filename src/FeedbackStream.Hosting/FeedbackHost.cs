using System.Net;
using ClickHouse.Driver;
using FeedbackStream.EmbeddedClickHouse;
using FeedbackStream.EmbeddedKafka;
using FeedbackStream.Kafka;
using FeedbackStream.Gateway;
using FeedbackStream.Models;
using FeedbackStream.Pipeline;
using FeedbackStream.Storage;
using FeedbackStream.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FeedbackStream.Hosting;

/// <summary>A setting the host cannot start with; its message names the setting and is printed as is (no stack trace).</summary>
internal sealed class HostConfigurationException(string message) : Exception(message);

/// <summary>Which parts a process runs.</summary>
[Flags]
internal enum HostRoles
{
    Gateway = 1,
    Pipeline = 2,
    Labeler = 4,

    /// <summary>The retraining job's consumer only (set Messaging:Transport=RabbitMq to share the gateways' jobs).</summary>
    Trainer = 8,
    All = Gateway | Pipeline | Labeler,
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

    /// <summary>User and password of the embedded ClickHouse HTTP endpoint (ClickHouse:HttpPort), when it runs.</summary>
    public ClickHouseHttpAccess? ClickHouseHttpAccess => _clickHouseListener?.Access;

    public KafkaMockCluster? EmbeddedKafka => _cluster;

    /// <summary>False on the embedded default: the mock cluster keeps accepted events in this process's memory only.</summary>
    public bool KafkaDurable => _cluster is null;

    /// <summary>What an <c>accepted</c> answer survives in this configuration, as <c>serve</c> states it at start.</summary>
    public string Durability => DurabilityStatement(KafkaDurable);

    /// <summary>The durability statement for a process on a real Kafka cluster (<paramref name="kafkaDurable"/>) or on the embedded one.</summary>
    public static string DurabilityStatement(bool kafkaDurable) => kafkaDurable
        ? "Kafka is an external cluster: an accepted event is as durable as that cluster's replication (acks=all); a crash re-delivers at most the unwritten tail."
        : "NOT DURABLE: the embedded Kafka (librdkafka mock cluster) keeps events in this process's memory only. If this process stops or crashes, " +
          "every event answered 'accepted' that the pipeline has not yet written to ClickHouse is lost, and a restart on the same data folder does not bring it back. " +
          "For durable acceptance set Kafka:BootstrapServers to a real Kafka cluster.";

    public string ClickHouseDescription => _clickHouse.Description;

    public PipelineStatus? Pipeline => _app.Services.GetService<PipelineStatus>();

    public FeedbackStream.Pipeline.Labeling.LabelingStatus? Labeling => _app.Services.GetService<FeedbackStream.Pipeline.Labeling.LabelingStatus>();

    public IServiceProvider Services => _app.Services;

    public ClickHouseClient CreateClickHouseClient() => _clickHouse.CreateClient(Database);

    /// <summary>Defaults every host starts from; configuration overrides them.</summary>
    public static IReadOnlyDictionary<string, string?> Defaults { get; } = new Dictionary<string, string?>
    {
        ["Gateway:Urls"] = "http://127.0.0.1:8080",
        ["ClickHouse:DataPath"] = Storage.ClickHouseOptions.DefaultDataPath,
        ["ClickHouse:Database"] = Storage.ClickHouseOptions.DefaultDatabase,
        ["Kafka:EmbeddedBrokers"] = "3",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:FeedbackStream"] = "Information",
    };

    public static async Task<FeedbackHost> StartAsync(IConfiguration configuration, HostRoles roles, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        // Checked before any engine starts: a bad setting is a one-line error naming its key, not a stack trace.
        var clickHouseOptions = ClickHouseTarget.ReadOptions(configuration);

        var overrides = new Dictionary<string, string?>();
        KafkaMockCluster? cluster = null;
        ClickHouseTarget? clickHouse = null;
        ClickHouseHttpListener? listener = null;
        try
        {
            var bootstrap = configuration["Kafka:BootstrapServers"];
            var topic = configuration["Kafka:Topic"] is { Length: > 0 } t ? t : KafkaOptions.DefaultTopic;
            if (string.IsNullOrWhiteSpace(bootstrap) && roles != HostRoles.Trainer)
            {
                cluster = KafkaMockCluster.Start(int.Parse(configuration["Kafka:EmbeddedBrokers"] ?? "3", System.Globalization.CultureInfo.InvariantCulture));
                cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
                // The mock cluster keeps only the newest ~5 MiB per partition (measured): more partitions give a lagging
                // pipeline more room before records would be deleted unread.
                cluster.CreateTopic(topic, int.Parse(configuration["Kafka:EmbeddedTopicPartitions"] ?? configuration["Kafka:TopicPartitions"] ?? "24", System.Globalization.CultureInfo.InvariantCulture));
                bootstrap = cluster.BootstrapServers;
                overrides["Kafka:BootstrapServers"] = bootstrap;
            }

            var database = clickHouseOptions.Database;
            clickHouse = await ClickHouseTarget.OpenAsync(clickHouseOptions, cancellationToken);
            await clickHouse.PrepareSchemaAsync(cancellationToken);

            if (int.TryParse(configuration["ClickHouse:HttpPort"], out var httpPort) && clickHouse.Embedded is { } embedded)
            {
                var access = HttpAccess(configuration);
                listener = await ClickHouseHttpListener.StartAsync(embedded.Core, httpPort, access, cancellationToken: cancellationToken);
            }

            var builder = SlimWebApplication.CreateBuilder();
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
            builder.Services.AddRoleHealth(roles, target.Client);
            builder.Services.AddProblemDetails();
            if (roles.HasFlag(HostRoles.Gateway))
            {
                builder.Services.AddFeedbackGateway(builder.Configuration);
                builder.Services.AddFeedbackModels(builder.Configuration, _ => target.Client, scoring: true);
            }

            if (roles.HasFlag(HostRoles.Trainer) && !roles.HasFlag(HostRoles.Gateway))
            {
                builder.Services.AddFeedbackModels(builder.Configuration, _ => target.Client, scoring: false, trainer: true);
            }

            if (roles.HasFlag(HostRoles.Pipeline))
            {
                builder.Services.AddFeedbackPipeline(builder.Configuration, _ => target.Client);
            }

            if (roles.HasFlag(HostRoles.Labeler))
            {
                builder.Services.AddFeedbackLabeling(
                    builder.Configuration,
                    _ => target.Client,
                    _ => new FeedbackStream.Pipeline.Labeling.FollowupScorer(FeedbackStream.Followups.Lexicon.LexiconClassifier.Default));
            }

            builder.Services.AddFeedbackTelemetry(builder.Configuration, roles.ToString().ToLowerInvariant());
            var app = builder.Build();
            if (roles.HasFlag(HostRoles.Gateway))
            {
                app.UseFeedbackGateway();
                app.MapFeedbackGateway();
                app.MapFeedbackModels();
            }
            else
            {
                // Every error answer of the health port is a problem detail too (404, 405 ...).
                app.UseStatusCodePages();
                app.MapRoleHealth();
            }

            if (roles.HasFlag(HostRoles.Labeler))
            {
                app.MapGet("/health/labeler", (FeedbackStream.Pipeline.Labeling.LabelingStatus status) => status.LastError is null
                    ? Results.Ok(status)
                    : Results.Json(status, statusCode: StatusCodes.Status503ServiceUnavailable));
            }

            if (roles.HasFlag(HostRoles.Pipeline))
            {
                app.MapGet("/health/pipeline", (PipelineStatus status) => status.LastSinkError is null
                    ? Results.Ok(status)
                    : Results.Json(status, statusCode: StatusCodes.Status503ServiceUnavailable));
            }

            app.MapFeedbackTelemetry();
            await app.StartAsync(cancellationToken);
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var gateway = new Uri(bound.EndsWith('/') ? bound : bound + "/");

            return new FeedbackHost(app, cluster, clickHouse, listener, database, bootstrap ?? "", gateway);
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

    /// <summary>The embedded HTTP endpoint's access from ClickHouse:HttpPassword (generated when unset), HttpAllowExternalAccess and HttpMaxBodyBytes.</summary>
    private static ClickHouseHttpAccess HttpAccess(IConfiguration configuration)
    {
        var allow = configuration["ClickHouse:HttpAllowExternalAccess"];
        var maxBody = configuration["ClickHouse:HttpMaxBodyBytes"];
        var access = new ClickHouseHttpAccess
        {
            Password = configuration["ClickHouse:HttpPassword"] is { Length: > 0 } password ? password : ClickHouseHttpAccess.GeneratePassword(),
            AllowExternalAccess = string.IsNullOrEmpty(allow) ? false : bool.TryParse(allow, out var a)
                ? a
                : throw new InvalidOperationException($"ClickHouse:HttpAllowExternalAccess must be true or false, not '{allow}'."),
            MaxBodyBytes = string.IsNullOrEmpty(maxBody) ? ClickHouseHttpAccess.DefaultMaxBodyBytes
                : long.TryParse(maxBody, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var m) && m > 0
                    ? m
                    : throw new InvalidOperationException($"ClickHouse:HttpMaxBodyBytes must be a positive whole number of bytes, not '{maxBody}'."),
        };
        access.Validate();
        return access;
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
