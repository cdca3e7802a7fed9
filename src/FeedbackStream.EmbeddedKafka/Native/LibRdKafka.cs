using System.Runtime.InteropServices;

namespace FeedbackStream.EmbeddedKafka.Native;

/// <summary>
/// The few entry points of the native librdkafka (the copy Confluent.Kafka loads from the
/// librdkafka.redist package) that the mock cluster host needs. The mock API is experimental in
/// librdkafka and outside its ABI guarantees: keep these signatures in step with rdkafka_mock.h of
/// the librdkafka.redist version pinned in Directory.Packages.props.
/// </summary>
internal static partial class LibRdKafka
{
    internal const string LibraryName = "librdkafka";

    /// <summary>rd_kafka_type_t RD_KAFKA_PRODUCER.</summary>
    internal const int ProducerType = 0;

    /// <summary>rd_kafka_conf_res_t RD_KAFKA_CONF_OK.</summary>
    internal const int ConfOk = 0;

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_conf_new")]
    internal static partial nint ConfNew();

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_conf_destroy")]
    internal static partial void ConfDestroy(nint conf);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ConfSet(nint conf, string name, string value, byte[] errstr, nuint errstrSize);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_new")]
    internal static partial nint New(int type, nint conf, byte[] errstr, nuint errstrSize);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_destroy")]
    internal static partial void Destroy(nint rk);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_version_str")]
    internal static partial nint VersionStr();

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_cluster_new")]
    internal static partial nint MockClusterNew(nint rk, int brokerCount);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_cluster_destroy")]
    internal static partial void MockClusterDestroy(nint mcluster);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_cluster_bootstraps")]
    internal static partial nint MockClusterBootstraps(MockClusterSafeHandle mcluster);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_topic_create", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MockTopicCreate(MockClusterSafeHandle mcluster, string topic, int partitionCount, int replicationFactor);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_broker_set_down")]
    internal static partial int MockBrokerSetDown(MockClusterSafeHandle mcluster, int brokerId);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_broker_set_up")]
    internal static partial int MockBrokerSetUp(MockClusterSafeHandle mcluster, int brokerId);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_broker_set_rtt")]
    internal static partial int MockBrokerSetRtt(MockClusterSafeHandle mcluster, int brokerId, int rttMs);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_partition_set_leader", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MockPartitionSetLeader(MockClusterSafeHandle mcluster, string topic, int partition, int brokerId);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_push_request_errors_array")]
    internal static partial void MockPushRequestErrorsArray(MockClusterSafeHandle mcluster, short apiKey, nuint count, int[] errors);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_clear_request_errors")]
    internal static partial void MockClearRequestErrors(MockClusterSafeHandle mcluster, short apiKey);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_start_request_tracking")]
    internal static partial void MockStartRequestTracking(MockClusterSafeHandle mcluster);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_stop_request_tracking")]
    internal static partial void MockStopRequestTracking(MockClusterSafeHandle mcluster);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_clear_requests")]
    internal static partial void MockClearRequests(MockClusterSafeHandle mcluster);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_get_requests")]
    internal static partial nint MockGetRequests(MockClusterSafeHandle mcluster, out nuint count);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_request_id")]
    internal static partial int MockRequestBrokerId(nint request);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_request_api_key")]
    internal static partial short MockRequestApiKey(nint request);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_request_timestamp")]
    internal static partial long MockRequestTimestamp(nint request);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_request_destroy_array")]
    internal static partial void MockRequestDestroyArray(nint requests, nuint count);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_mock_group_initial_rebalance_delay_ms")]
    internal static partial void MockGroupInitialRebalanceDelayMs(MockClusterSafeHandle mcluster, int delayMs);
}
