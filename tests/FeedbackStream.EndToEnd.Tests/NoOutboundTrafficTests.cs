using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Net;
using ClickHouse.Driver;
using FeedbackStream.Models;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>
/// Records every host name resolved, every HTTP request started and every socket connect attempted in this process,
/// from the runtime's own networking event sources.
/// </summary>
internal sealed class NetworkListener : EventListener
{
    public ConcurrentQueue<string> Targets { get; } = new();

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name is "System.Net.Http" or "System.Net.NameResolution" or "System.Net.Sockets")
        {
            EnableEvents(eventSource, EventLevel.Informational, EventKeywords.All);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        var payload = eventData.Payload;
        var target = (eventData.EventSource.Name, eventData.EventName) switch
        {
            ("System.Net.Http", "RequestStart") when payload is { Count: > 1 } => payload[1]?.ToString(),
            ("System.Net.NameResolution", "ResolutionStart") when payload is { Count: > 0 } => payload[0]?.ToString(),
            ("System.Net.Sockets", "ConnectStart") when payload is { Count: > 0 } => payload[0]?.ToString(),
            _ => null,
        };
        if (target is not null)
        {
            Targets.Enqueue($"{eventData.EventSource.Name}/{eventData.EventName}: {target}");
        }
    }

    /// <summary>Whether a recorded target (a host name, or a socket address logged as its bytes) stays on this machine.</summary>
    public static bool IsLocal(string entry)
    {
        var target = entry[(entry.IndexOf(": ", StringComparison.Ordinal) + 2)..];
        if (target is "localhost" || target.EndsWith(".invalid", StringComparison.Ordinal) || target.StartsWith("Unix", StringComparison.Ordinal))
        {
            return true;
        }

        if (IPAddress.TryParse(target, out var ip))
        {
            return IPAddress.IsLoopback(ip);
        }

        // SocketAddress text: "InterNetwork:16:{port,port,a,b,c,d,...}" or "InterNetworkV6:28:{port,port,flow x4,address x16,...}".
        var open = target.IndexOf('{', StringComparison.Ordinal);
        if (open < 0)
        {
            return false;
        }

        var bytes = target[(open + 1)..].TrimEnd('}').Split(',').Select(b => byte.Parse(b, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        if (target.StartsWith("InterNetworkV6:", StringComparison.Ordinal))
        {
            return bytes.Length >= 22 && IPAddress.IsLoopback(new IPAddress(bytes.AsSpan(6, 16)));
        }

        return target.StartsWith("InterNetwork:", StringComparison.Ordinal) && bytes.Length >= 6 && bytes[2] == 127;
    }
}

/// <summary>The product never calls out of the machine: the retraining bus (MassTransit) sends no usage telemetry.</summary>
public sealed class NoOutboundTrafficTests
{
    [Fact]
    public async Task ModelsWithTheRetrainingBus_StartAndStop_WithoutAnyNonLoopbackConnection()
    {
        using var listener = new NetworkListener();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Models:TrainingEnabled"] = "true",
            ["Models:Schedule"] = "off",
            ["Models:NewLabelsTrigger"] = "0",
        }).Build();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddFeedbackModels(configuration, _ => new ClickHouseClient("Host=127.0.0.1;Port=1;Protocol=http"), scoring: true);

        // Make MassTransit report at shutdown, as it would 30 s after start: the test need not wait for its timer.
        builder.Services.Configure<UsageTelemetryOptions>(o => o.ReportOnShutdown = true);
        using (var host = builder.Build())
        {
            await host.StartAsync(E2E.Ct);
            await host.StopAsync(E2E.Ct);
        }

        Assert.DoesNotContain(listener.Targets, t => !NetworkListener.IsLocal(t));
    }
}
