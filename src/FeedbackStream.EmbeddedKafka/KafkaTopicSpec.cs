using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace FeedbackStream.EmbeddedKafka;

/// <summary>A topic to create: name, partition count and replication factor.</summary>
/// <param name="Name">Topic name.</param>
/// <param name="Partitions">Partition count (at least 1).</param>
/// <param name="ReplicationFactor">Replicas per partition (at least 1).</param>
public sealed record KafkaTopicSpec(string Name, int Partitions, int ReplicationFactor = 1)
{
    /// <summary>Parses <c>NAME</c>, <c>NAME:PARTITIONS</c> or <c>NAME:PARTITIONS:REPLICATION</c> (1 partition, 1 replica by default).</summary>
    /// <exception cref="FormatException">The text is not of that shape.</exception>
    public static KafkaTopicSpec Parse(string text) =>
        TryParse(text, out var spec, out var error) ? spec : throw new FormatException(error);

    /// <summary>Parses like <see cref="Parse"/>, returning false with a reason instead of throwing.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out KafkaTopicSpec? spec, [NotNullWhen(false)] out string? error)
    {
        spec = null;
        var parts = (text ?? string.Empty).Split(':');
        if (parts.Length > 3 || string.IsNullOrWhiteSpace(parts[0]))
        {
            error = $"'{text}' is not NAME[:PARTITIONS[:REPLICATION]].";
            return false;
        }

        var name = parts[0].Trim();
        if (name.Length > 249 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            error = $"'{name}' is not a valid topic name (ASCII letters, digits, '.', '_', '-'; at most 249).";
            return false;
        }

        var partitions = 1;
        var replication = 1;
        if (parts.Length > 1 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out partitions) || partitions < 1))
        {
            error = $"'{parts[1]}' in '{text}' is not a partition count of at least 1.";
            return false;
        }

        if (parts.Length > 2 && (!int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out replication) || replication < 1))
        {
            error = $"'{parts[2]}' in '{text}' is not a replication factor of at least 1.";
            return false;
        }

        spec = new KafkaTopicSpec(name, partitions, replication);
        error = null;
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name}:{Partitions}:{ReplicationFactor}");
}
