namespace FeedbackStream.EmbeddedKafka;

/// <summary>One protocol request a mock broker received while request tracking was on.</summary>
/// <param name="BrokerId">The id of the broker that received it (1..broker count).</param>
/// <param name="ApiKey">The request type.</param>
/// <param name="TimestampMicroseconds">When it arrived, in microseconds of librdkafka's monotonic clock.</param>
public readonly record struct KafkaMockRequest(int BrokerId, KafkaApiKey ApiKey, long TimestampMicroseconds);
