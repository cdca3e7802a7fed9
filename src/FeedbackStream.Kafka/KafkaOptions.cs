using System.ComponentModel.DataAnnotations;
using Confluent.Kafka;

namespace FeedbackStream.Kafka;

/// <summary>
/// Kafka settings bound from the <c>Kafka</c> configuration section. Besides the few named
/// settings, any librdkafka property can be given as text under <c>Kafka:Client</c> (every client),
/// <c>Kafka:Producer</c>, <c>Kafka:Consumer</c> or <c>Kafka:Admin</c>, e.g.
/// <c>Kafka:Client:security.protocol=SASL_SSL</c> or, for an Apache Kafka 0.9 broker,
/// <c>Kafka:Client:api.version.request=false</c> and <c>Kafka:Client:broker.version.fallback=0.9.0.1</c>.
/// </summary>
/// <remarks>
/// The configs are built in this order, each step overriding the one before:
/// <see cref="BootstrapServers"/> and <see cref="ClientId"/>; the calling code's defaults;
/// <see cref="Client"/>; then the client-type section (<see cref="Producer"/>, <see cref="Consumer"/>,
/// <see cref="Admin"/>). Configuration therefore always has the last word, and a real deployment can
/// set what the code never thought of. librdkafka rejects unknown property names when the client is built.
/// </remarks>
public sealed class KafkaOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Kafka";

    /// <summary>The topic product events go to.</summary>
    public const string DefaultTopic = "feedback.events.v1";

    /// <summary>Comma-separated <c>host:port</c> list of the brokers.</summary>
    [Required(AllowEmptyStrings = false)]
    public string BootstrapServers { get; set; } = string.Empty;

    /// <summary>The client.id clients report to brokers (librdkafka's default when empty).</summary>
    public string? ClientId { get; set; }

    /// <summary>The events topic.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Topic { get; set; } = DefaultTopic;

    /// <summary>Partitions of <see cref="Topic"/> when this product creates it (embedded cluster, tests).</summary>
    [Range(1, 10_000)]
    public int TopicPartitions { get; set; } = 6;

    /// <summary>Replication factor of <see cref="Topic"/> when this product creates it.</summary>
    [Range(1, 100)]
    public int TopicReplicationFactor { get; set; } = 1;

    /// <summary>librdkafka properties for every client (producer, consumer, admin).</summary>
    public Dictionary<string, string> Client { get; } = new(StringComparer.Ordinal);

    /// <summary>librdkafka properties for producers only (applied after <see cref="Client"/>).</summary>
    public Dictionary<string, string> Producer { get; } = new(StringComparer.Ordinal);

    /// <summary>librdkafka properties for consumers only (applied after <see cref="Client"/>).</summary>
    public Dictionary<string, string> Consumer { get; } = new(StringComparer.Ordinal);

    /// <summary>librdkafka properties for admin clients only (applied after <see cref="Client"/>).</summary>
    public Dictionary<string, string> Admin { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// A producer config: the named settings, then <paramref name="defaults"/> (the code's choices,
    /// e.g. idempotence), then the passthrough properties.
    /// </summary>
    public ProducerConfig CreateProducerConfig(Action<ProducerConfig>? defaults = null)
    {
        var config = new ProducerConfig();
        return Build(config, defaults, Producer, nameof(Producer));
    }

    /// <summary>A consumer config for <paramref name="groupId"/>, built in the same order as <see cref="CreateProducerConfig"/>.</summary>
    public ConsumerConfig CreateConsumerConfig(string groupId, Action<ConsumerConfig>? defaults = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        var config = new ConsumerConfig { GroupId = groupId };
        return Build(config, defaults, Consumer, nameof(Consumer));
    }

    /// <summary>An admin client config, built in the same order as <see cref="CreateProducerConfig"/>.</summary>
    public AdminClientConfig CreateAdminClientConfig(Action<AdminClientConfig>? defaults = null)
    {
        var config = new AdminClientConfig();
        return Build(config, defaults, Admin, nameof(Admin));
    }

    /// <summary>Copies these options (dictionaries included) so callers can adjust a copy.</summary>
    public KafkaOptions Clone()
    {
        var copy = new KafkaOptions
        {
            BootstrapServers = BootstrapServers,
            ClientId = ClientId,
            Topic = Topic,
            TopicPartitions = TopicPartitions,
            TopicReplicationFactor = TopicReplicationFactor,
        };
        CopyInto(Client, copy.Client);
        CopyInto(Producer, copy.Producer);
        CopyInto(Consumer, copy.Consumer);
        CopyInto(Admin, copy.Admin);
        return copy;
    }

    private T Build<T>(T config, Action<T>? defaults, Dictionary<string, string> typeSpecific, string typeSection)
        where T : ClientConfig
    {
        if (!string.IsNullOrWhiteSpace(BootstrapServers))
        {
            config.BootstrapServers = BootstrapServers;
        }

        if (!string.IsNullOrWhiteSpace(ClientId))
        {
            config.ClientId = ClientId;
        }

        defaults?.Invoke(config);
        Apply(config, Client, nameof(Client));
        Apply(config, typeSpecific, typeSection);
        return config;
    }

    private static void Apply(ClientConfig config, Dictionary<string, string> properties, string section)
    {
        foreach (var (name, value) in properties)
        {
            var key = name.Trim();
            if (key.Length == 0)
            {
                throw new InvalidOperationException($"{SectionName}:{section} has a property with an empty name.");
            }

            // ClientConfig.Set stores text as is; librdkafka parses and validates it when the client is built.
            config.Set(key, value);
        }
    }

    private static void CopyInto(Dictionary<string, string> from, Dictionary<string, string> to)
    {
        foreach (var (key, value) in from)
        {
            to[key] = value;
        }
    }
}
