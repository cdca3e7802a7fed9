namespace FeedbackStream.EmbeddedKafka;

/// <summary>
/// Kafka protocol request types (ApiKey) that the librdkafka mock brokers serve, for error
/// injection with <see cref="KafkaMockCluster.PushRequestErrors"/> and for request tracking.
/// </summary>
#pragma warning disable CA1028 // The protocol defines ApiKey as an INT16; the enum mirrors it.
public enum KafkaApiKey : short
#pragma warning restore CA1028
{
    /// <summary>Produce.</summary>
    Produce = 0,

    /// <summary>Fetch.</summary>
    Fetch = 1,

    /// <summary>ListOffsets.</summary>
    ListOffsets = 2,

    /// <summary>Metadata.</summary>
    Metadata = 3,

    /// <summary>OffsetCommit.</summary>
    OffsetCommit = 8,

    /// <summary>OffsetFetch.</summary>
    OffsetFetch = 9,

    /// <summary>FindCoordinator.</summary>
    FindCoordinator = 10,

    /// <summary>JoinGroup.</summary>
    JoinGroup = 11,

    /// <summary>Heartbeat.</summary>
    Heartbeat = 12,

    /// <summary>LeaveGroup.</summary>
    LeaveGroup = 13,

    /// <summary>SyncGroup.</summary>
    SyncGroup = 14,

    /// <summary>ApiVersions.</summary>
    ApiVersions = 18,

    /// <summary>InitProducerId (idempotent and transactional producers).</summary>
    InitProducerId = 22,

    /// <summary>OffsetForLeaderEpoch.</summary>
    OffsetForLeaderEpoch = 23,

    /// <summary>AddPartitionsToTxn.</summary>
    AddPartitionsToTxn = 24,

    /// <summary>AddOffsetsToTxn.</summary>
    AddOffsetsToTxn = 25,

    /// <summary>EndTxn.</summary>
    EndTxn = 26,

    /// <summary>TxnOffsetCommit.</summary>
    TxnOffsetCommit = 28,

    /// <summary>ConsumerGroupHeartbeat (KIP-848 consumer groups).</summary>
    ConsumerGroupHeartbeat = 68,
}
