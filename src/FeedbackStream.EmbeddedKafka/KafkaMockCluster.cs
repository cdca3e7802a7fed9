using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;
using FeedbackStream.EmbeddedKafka.Native;

namespace FeedbackStream.EmbeddedKafka;

/// <summary>
/// An in-process Kafka cluster: librdkafka's mock brokers, hosted through the native librdkafka
/// that Confluent.Kafka loads. Every broker listens on 127.0.0.1 at a port the OS picks; any Kafka
/// client in any process on this machine can use <see cref="BootstrapServers"/>.
/// </summary>
/// <remarks>
/// Facts measured against librdkafka 2.16 (the librdkafka.redist version this product pins):
/// <list type="bullet">
/// <item>Broker ids are 1..brokers; client metadata lists every broker. Listeners bind 127.0.0.1
/// with a backlog of 5.</item>
/// <item>Idempotent producers, message headers, the balanced consumer group protocol and
/// committed offsets work. Offsets and data live in this process's memory only: they vanish
/// with the cluster, and nothing is written to disk.</item>
/// <item>A topic the cluster does not know is created on first use (metadata or produce request)
/// with 4 partitions and min(3, brokers) replicas; create topics explicitly with
/// <see cref="CreateTopic"/> for a known layout. The Admin API's CreateTopics is not served (it
/// times out waiting for a controller).</item>
/// <item>A new consumer group waits <c>group.initial.rebalance.delay.ms</c> (3 s by default, like a
/// real broker) before its first assignment; <see cref="SetGroupInitialRebalanceDelay"/> shortens it
/// (measured: first message after 3.2 s by default, 0.16 s with zero).</item>
/// <item>A member that leaves the group (a consumer's Close sends LeaveGroup) still counts until its
/// session times out, so the next member's assignment waits about <c>session.timeout.ms</c>
/// (measured: 2.2 s with 3 s, 5.2 s with 6 s; librdkafka's default is 45 s). After a consumer
/// process was killed with SIGKILL, its replacement (6 s session timeout) read its first message
/// 11.7 s after starting, resuming at the committed offsets. Consumers of the embedded cluster want
/// a short session timeout.</item>
/// <item>Each partition keeps only its newest ~5 MiB of record batches (measured: about 66,700
/// messages of 64 bytes, 19,000 of 256 bytes, 5,000 of 1 KiB); older batches are deleted and the low
/// watermark moves up. A consumer lagging by more than that loses messages (it is reset per
/// <c>auto.offset.reset</c>). Spread volume over more partitions.</item>
/// <item><see cref="SetBrokerDown"/> closes the broker's connections and refuses new ones without
/// moving partition leadership: clients queue and retry until <see cref="SetBrokerUp"/>.</item>
/// </list>
/// The native library is the very file Confluent.Kafka loaded (see the resolver: on a slim Debian
/// the package's generic librdkafka.so lacks libsasl2.so.3 and Confluent.Kafka falls back to its
/// centos8 build). The mock API is experimental in librdkafka (outside its ABI guarantees); a librdkafka.redist
/// upgrade must re-run this project's tests.
/// </remarks>
public sealed class KafkaMockCluster : IDisposable, IAsyncDisposable
{
    private const int ErrorBufferSize = 512;

    private readonly MockClusterSafeHandle _handle;

    private KafkaMockCluster(MockClusterSafeHandle handle, int brokerCount, string bootstrapServers)
    {
        _handle = handle;
        BrokerCount = brokerCount;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>The comma-separated <c>host:port</c> list of every mock broker (127.0.0.1 only).</summary>
    public string BootstrapServers { get; }

    /// <summary>The number of brokers; their ids are 1..<see cref="BrokerCount"/>.</summary>
    public int BrokerCount { get; }

    /// <summary>The version string of the native librdkafka in use (e.g. "2.16.0").</summary>
    public static string LibrdkafkaVersion
    {
        get
        {
            NativeLibraryResolver.EnsureRegistered();
            return Marshal.PtrToStringUTF8(LibRdKafka.VersionStr()) ?? "unknown";
        }
    }

    /// <summary>The path of the native librdkafka this process loaded (Linux), for diagnostics.</summary>
    public static string? LibrdkafkaPath
    {
        get
        {
            NativeLibraryResolver.EnsureRegistered();
            _ = LibRdKafka.VersionStr();
            return NativeLibraryResolver.FindLoadedLibrary();
        }
    }

    /// <summary>Starts a cluster of <paramref name="brokers"/> mock brokers.</summary>
    /// <param name="brokers">How many brokers (1 to 64).</param>
    /// <param name="handleConfig">
    /// librdkafka properties for the hosting handle (e.g. <c>debug=mock</c>, <c>log_level</c>);
    /// by default the handle logs warnings and errors only.
    /// </param>
    public static KafkaMockCluster Start(int brokers = 3, IReadOnlyDictionary<string, string>? handleConfig = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(brokers, 64);
        NativeLibraryResolver.EnsureRegistered();

        var errstr = new byte[ErrorBufferSize];
        var conf = LibRdKafka.ConfNew();
        if (conf == 0)
        {
            throw new InvalidOperationException("rd_kafka_conf_new returned NULL.");
        }

        nint rk;
        try
        {
            // The hosting handle never connects anywhere: it only owns the mock cluster's threads.
            SetConf(conf, "log_level", "4", errstr);
            SetConf(conf, "client.id", "feedbackstream-mock-cluster", errstr);
            if (handleConfig is not null)
            {
                foreach (var (name, value) in handleConfig)
                {
                    SetConf(conf, name, value, errstr);
                }
            }

            rk = LibRdKafka.New(LibRdKafka.ProducerType, conf, errstr, (nuint)errstr.Length);
        }
        catch
        {
            LibRdKafka.ConfDestroy(conf);
            throw;
        }

        if (rk == 0)
        {
            // rd_kafka_new leaves the configuration to the caller when it fails.
            LibRdKafka.ConfDestroy(conf);
            throw new InvalidOperationException($"rd_kafka_new failed: {ReadError(errstr)}");
        }

        var mcluster = LibRdKafka.MockClusterNew(rk, brokers);
        if (mcluster == 0)
        {
            LibRdKafka.Destroy(rk);
            throw new InvalidOperationException($"rd_kafka_mock_cluster_new failed for {brokers} brokers.");
        }

        var handle = MockClusterSafeHandle.Create(rk, mcluster);
        var bootstraps = Marshal.PtrToStringUTF8(LibRdKafka.MockClusterBootstraps(handle));
        if (string.IsNullOrEmpty(bootstraps))
        {
            handle.Dispose();
            throw new InvalidOperationException("The mock cluster reported no bootstrap servers.");
        }

        return new KafkaMockCluster(handle, brokers, bootstraps);
    }

    /// <summary>Creates a topic (an error if it exists already).</summary>
    /// <param name="name">Topic name.</param>
    /// <param name="partitions">Partition count (at least 1).</param>
    /// <param name="replicationFactor">Replicas per partition, at most <see cref="BrokerCount"/>.</param>
    public void CreateTopic(string name, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicationFactor, BrokerCount);
        Check(LibRdKafka.MockTopicCreate(_handle, name, partitions, replicationFactor), $"create topic '{name}'");
    }

    /// <summary>
    /// Disconnects broker <paramref name="brokerId"/> and refuses new connections to it. Partition
    /// leadership does not move. Use -1 for every broker.
    /// </summary>
    public void SetBrokerDown(int brokerId) =>
        Check(LibRdKafka.MockBrokerSetDown(_handle, CheckBroker(brokerId)), $"set broker {brokerId} down");

    /// <summary>Makes broker <paramref name="brokerId"/> accept connections again (-1 for every broker).</summary>
    public void SetBrokerUp(int brokerId) =>
        Check(LibRdKafka.MockBrokerSetUp(_handle, CheckBroker(brokerId)), $"set broker {brokerId} up");

    /// <summary>Delays every response of broker <paramref name="brokerId"/> (-1 for all) by <paramref name="roundTrip"/>.</summary>
    public void SetBrokerRoundTripTime(int brokerId, TimeSpan roundTrip)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(roundTrip, TimeSpan.Zero);
        Check(
            LibRdKafka.MockBrokerSetRtt(_handle, CheckBroker(brokerId), checked((int)roundTrip.TotalMilliseconds)),
            $"set round-trip time of broker {brokerId}");
    }

    /// <summary>Moves the leadership of one partition to <paramref name="brokerId"/> (-1: leaderless).</summary>
    public void SetPartitionLeader(string topic, int partition, int brokerId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        Check(
            LibRdKafka.MockPartitionSetLeader(_handle, topic, partition, CheckBroker(brokerId)),
            $"set leader of {topic}[{partition}]");
    }

    /// <summary>
    /// Makes the next <c>errors.Length</c> requests of type <paramref name="apiKey"/> (to any broker)
    /// fail with the given errors, in order. <see cref="ErrorCode.Local_Transport"/> makes the
    /// broker drop the connection instead of answering.
    /// </summary>
    public void PushRequestErrors(KafkaApiKey apiKey, params ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Length == 0)
        {
            return;
        }

        var codes = Array.ConvertAll(errors, static e => (int)e);
        LibRdKafka.MockPushRequestErrorsArray(_handle, (short)apiKey, (nuint)codes.Length, codes);
    }

    /// <summary>Forgets the errors still queued for <paramref name="apiKey"/>.</summary>
    public void ClearRequestErrors(KafkaApiKey apiKey) => LibRdKafka.MockClearRequestErrors(_handle, (short)apiKey);

    /// <summary>Sets how long a new consumer group waits for more members before its first assignment.</summary>
    public void SetGroupInitialRebalanceDelay(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        LibRdKafka.MockGroupInitialRebalanceDelayMs(_handle, checked((int)delay.TotalMilliseconds));
    }

    /// <summary>Starts recording every request the brokers receive (see <see cref="GetRequests"/>).</summary>
    public void StartRequestTracking() => LibRdKafka.MockStartRequestTracking(_handle);

    /// <summary>Stops recording requests; what was recorded stays until <see cref="ClearRequests"/>.</summary>
    public void StopRequestTracking() => LibRdKafka.MockStopRequestTracking(_handle);

    /// <summary>Forgets the recorded requests.</summary>
    public void ClearRequests() => LibRdKafka.MockClearRequests(_handle);

    /// <summary>The requests recorded since <see cref="StartRequestTracking"/>, in arrival order.</summary>
    public IReadOnlyList<KafkaMockRequest> GetRequests()
    {
        var array = LibRdKafka.MockGetRequests(_handle, out var count);
        if (array == 0)
        {
            return [];
        }

        try
        {
            var result = new KafkaMockRequest[checked((int)count)];
            for (var i = 0; i < result.Length; i++)
            {
                var request = Marshal.ReadIntPtr(array, i * IntPtr.Size);
                result[i] = new KafkaMockRequest(
                    LibRdKafka.MockRequestBrokerId(request),
                    (KafkaApiKey)LibRdKafka.MockRequestApiKey(request),
                    LibRdKafka.MockRequestTimestamp(request));
            }

            return result;
        }
        finally
        {
            LibRdKafka.MockRequestDestroyArray(array, count);
        }
    }

    /// <summary>Destroys the cluster: its listeners close and every client connection drops.</summary>
    public void Dispose() => _handle.Dispose();

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private int CheckBroker(int brokerId)
    {
        if (brokerId != -1 && (brokerId < 1 || brokerId > BrokerCount))
        {
            throw new ArgumentOutOfRangeException(nameof(brokerId), brokerId, $"Broker ids are 1..{BrokerCount} or -1 for all.");
        }

        return brokerId;
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            var code = (ErrorCode)error;
            throw new KafkaException(new Error(code, $"Mock cluster could not {what}: {code}"));
        }
    }

    private static void SetConf(nint conf, string name, string value, byte[] errstr)
    {
        if (LibRdKafka.ConfSet(conf, name, value, errstr, (nuint)errstr.Length) != LibRdKafka.ConfOk)
        {
            throw new ArgumentException($"librdkafka rejected '{name}': {ReadError(errstr)}", nameof(name));
        }
    }

    private static string ReadError(byte[] errstr)
    {
        var length = Array.IndexOf(errstr, (byte)0);
        return Encoding.UTF8.GetString(errstr, 0, length < 0 ? errstr.Length : length);
    }
}
