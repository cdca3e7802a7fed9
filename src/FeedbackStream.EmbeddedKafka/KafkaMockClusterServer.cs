using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FeedbackStream.EmbeddedKafka;

/// <summary>What <see cref="KafkaMockClusterServer"/> runs.</summary>
public sealed class KafkaMockClusterServerOptions
{
    /// <summary>Number of mock brokers (ids 1..Brokers).</summary>
    public int Brokers { get; set; } = 3;

    /// <summary>Topics to create before the cluster is announced.</summary>
    public IList<KafkaTopicSpec> Topics { get; } = [];

    /// <summary>
    /// How long a new consumer group waits for more members before its first assignment. Zero
    /// (the default here) assigns at once; a real broker and the mock's own default wait 3 s.
    /// </summary>
    public TimeSpan GroupInitialRebalanceDelay { get; set; } = TimeSpan.Zero;
}

/// <summary>The announcement of a running cluster: one JSON line with snake_case keys.</summary>
/// <param name="BootstrapServers">Comma-separated 127.0.0.1 addresses of every broker.</param>
/// <param name="Brokers">Broker count.</param>
/// <param name="Topics">The topics that were created.</param>
/// <param name="ProcessId">The id of the hosting process.</param>
public sealed record KafkaMockClusterReady(
    string BootstrapServers,
    int Brokers,
    IReadOnlyList<KafkaTopicSpec> Topics,
    int ProcessId)
{
    /// <summary>The serializer settings of the announcement line (snake_case keys, one line).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The announcement as one line of JSON, e.g. <c>{"bootstrap_servers":"127.0.0.1:4321,...","brokers":3,...}</c>.</summary>
    public string ToJsonLine() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads an announcement line; false for any other line (such as human-readable text).</summary>
    public static bool TryParse(string? line, [NotNullWhen(true)] out KafkaMockClusterReady? ready)
    {
        ready = null;
        if (string.IsNullOrWhiteSpace(line) || !line.TrimStart().StartsWith('{'))
        {
            return false;
        }

        try
        {
            ready = JsonSerializer.Deserialize<KafkaMockClusterReady>(line, JsonOptions);
            return ready is { BootstrapServers.Length: > 0 };
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>
/// Hosts a <see cref="KafkaMockCluster"/> until cancelled: creates the requested topics,
/// announces the cluster once, then waits. Used by <c>feedbackstream kafka serve</c> and by test
/// helper processes, so other processes can read the bootstrap servers from standard output.
/// </summary>
public static class KafkaMockClusterServer
{
    /// <summary>Starts the cluster and creates the topics; the caller owns the returned cluster.</summary>
    public static (KafkaMockCluster Cluster, KafkaMockClusterReady Ready) Start(KafkaMockClusterServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cluster = KafkaMockCluster.Start(options.Brokers);
        try
        {
            cluster.SetGroupInitialRebalanceDelay(options.GroupInitialRebalanceDelay);
            foreach (var topic in options.Topics)
            {
                cluster.CreateTopic(topic.Name, topic.Partitions, topic.ReplicationFactor);
            }

            var ready = new KafkaMockClusterReady(cluster.BootstrapServers, cluster.BrokerCount, [.. options.Topics], Environment.ProcessId);
            return (cluster, ready);
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the cluster until <paramref name="cancellationToken"/> fires. <paramref name="announce"/>
    /// is called once, after the topics exist; the cluster is destroyed on return.
    /// </summary>
    public static async Task RunAsync(
        KafkaMockClusterServerOptions options,
        Action<KafkaMockClusterReady> announce,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(announce);
        var (cluster, ready) = Start(options);
        await using (cluster)
        {
            announce(ready);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Cancellation is the normal way to stop serving.
            }
        }
    }

    /// <summary>Runs like the other overload, announcing with one JSON line on <paramref name="output"/> (flushed).</summary>
    public static Task RunAsync(KafkaMockClusterServerOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        return RunAsync(
            options,
            ready =>
            {
                output.WriteLine(ready.ToJsonLine());
                output.Flush();
            },
            cancellationToken);
    }
}
