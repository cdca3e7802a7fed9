using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FeedbackStream.EmbeddedKafka.Tests.Infrastructure;
using RabbitMQ.Client;

namespace FeedbackStream.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A private RabbitMQ broker (Debian's rabbitmq-server, installed by scripts/setup.sh) for one test run: its own epmd,
/// node name, data and log folders under a temporary folder, AMQP and Erlang distribution on free 127.0.0.1 ports, and
/// a generated user and password. Both Erlang processes run under a shell watchdog that kills their whole process
/// group when this test process goes away (its standard input closes), so nothing outlives the run.
/// </summary>
public sealed class RabbitMqBroker : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    // The shell starts the program in a session of its own, prints its pid, and kills the whole session's process
    // group as soon as its own standard input (a pipe from this process) reaches end of file.
    private const string Watchdog = """
        exec 3<&0
        setsid "$@" </dev/null &
        child=$!
        echo "PID $child"
        ( read -r _ <&3; kill -9 -- "-$child" 2>/dev/null ) &
        watcher=$!
        wait "$child"
        status=$?
        kill "$watcher" 2>/dev/null
        exit $status
        """;

    private readonly string _root;
    private ChildProcess? _epmd;
    private ChildProcess? _server;

    private RabbitMqBroker(string root, int port)
    {
        _root = root;
        Port = port;
        Username = "fs-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();
        Password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('/', 'x').Replace('+', 'y');
    }

    public string Host => "127.0.0.1";

    public int Port { get; }

    public string Username { get; }

    public string Password { get; }

    /// <summary>From the start of epmd until the broker accepted an AMQP connection with the generated user.</summary>
    public TimeSpan StartedIn { get; private set; }

    /// <summary>The <c>Messaging</c> settings of a FeedbackStream process on this broker (the password goes by environment).</summary>
    public IReadOnlyList<string> Arguments =>
    [
        "--Messaging:Transport=RabbitMq",
        $"--Messaging:RabbitMq:Host={Host}",
        string.Create(CultureInfo.InvariantCulture, $"--Messaging:RabbitMq:Port={Port}"),
        $"--Messaging:RabbitMq:Username={Username}",
        "--Messaging:RabbitMq:HeartbeatInterval=00:00:02",
    ];

    /// <summary>The secret half of the settings, as environment variables (never on a command line or in a file of the repo).</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["FEEDBACKSTREAM_Messaging__RabbitMq__Password"] = Password };

    /// <summary>Every <c>Messaging</c> setting as environment variables (for commands that read only the environment).</summary>
    public IReadOnlyDictionary<string, string> FullEnvironment => new Dictionary<string, string>
    {
        ["FEEDBACKSTREAM_Messaging__Transport"] = "RabbitMq",
        ["FEEDBACKSTREAM_Messaging__RabbitMq__Host"] = Host,
        ["FEEDBACKSTREAM_Messaging__RabbitMq__Port"] = Port.ToString(CultureInfo.InvariantCulture),
        ["FEEDBACKSTREAM_Messaging__RabbitMq__Username"] = Username,
        ["FEEDBACKSTREAM_Messaging__RabbitMq__Password"] = Password,
    };

    public static async Task<RabbitMqBroker> StartAsync(CancellationToken cancellationToken)
    {
        var server = FindServer();
        var root = Path.Combine(Path.GetTempPath(), "feedbackstream-rabbitmq-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var broker = new RabbitMqBroker(root, FreePort());
        try
        {
            await broker.StartAsync(server, cancellationToken);
            return broker;
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ChildProcess.StopAndDisposeAsync(_server);
        _server = null;
        await ChildProcess.StopAndDisposeAsync(_epmd);
        _epmd = null;
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying process; the folder is under the temp directory.
        }
    }

    private static string FindServer()
    {
        const string Lib = "/usr/lib/rabbitmq/lib";
        var script = Directory.Exists(Lib)
            ? Directory.GetDirectories(Lib, "rabbitmq_server-*").Select(d => Path.Combine(d, "sbin", "rabbitmq-server")).FirstOrDefault(File.Exists)
            : null;
        return script ?? throw new InvalidOperationException(
            "rabbitmq-server is not installed (looked in /usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin). Run scripts/setup.sh (it installs Debian's rabbitmq-server).");
    }

    private async Task StartAsync(string server, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var epmdPort = FreePort();
        var distPort = FreePort();
        var config = Path.Combine(_root, "rabbitmq.conf");
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $"""
            listeners.tcp.default = 127.0.0.1:{Port}
            loopback_users = none
            default_user = {Username}
            default_pass = {Password}
            default_vhost = /
            log.console = true
            log.console.level = warning
            log.file = false

            """));
        File.WriteAllText(Path.Combine(_root, "enabled_plugins"), "[].\n");
        File.WriteAllText(Path.Combine(_root, "rabbitmq-env.conf"), "");
        var node = "fs" + Guid.NewGuid().ToString("N")[..10] + "@localhost";
        var epmd = new Dictionary<string, string> { ["ERL_EPMD_PORT"] = epmdPort.ToString(CultureInfo.InvariantCulture), ["ERL_EPMD_ADDRESS"] = "127.0.0.1" };
        _epmd = ChildProcess.Start("/bin/sh", ["-c", Watchdog, "rabbitmq-watchdog", "epmd", "-port", epmdPort.ToString(CultureInfo.InvariantCulture), "-address", "127.0.0.1"], _root, epmd);
        var environment = new Dictionary<string, string>(epmd)
        {
            ["HOME"] = _root, // the Erlang cookie is written here
            ["RABBITMQ_NODENAME"] = node,
            ["RABBITMQ_NODE_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = distPort.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_CONFIG_FILE"] = config,
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(_root, "advanced.config"),
            ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(_root, "rabbitmq-env.conf"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_root, "enabled_plugins"),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(_root, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(_root, "log"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(_root, "rabbitmq.pid"),
            // Erlang distribution on loopback only (it listens on every interface by default).
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
        };
        _server = ChildProcess.Start("/bin/sh", ["-c", Watchdog, "rabbitmq-watchdog", server], _root, environment);
        var factory = new ConnectionFactory { HostName = Host, Port = Port, UserName = Username, Password = Password, RequestedConnectionTimeout = TimeSpan.FromSeconds(2) };
        var serverProcess = _server;
        await Wait.UntilAsync(
            async () =>
            {
                if (serverProcess.HasExited)
                {
                    throw new InvalidOperationException($"rabbitmq-server exited during startup:\n{string.Join('\n', serverProcess.Lines().TakeLast(40))}\n{serverProcess.StandardError}");
                }

                try
                {
                    await using var connection = await factory.CreateConnectionAsync(cancellationToken);
                    return connection.IsOpen;
                }
                catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or IOException or SocketException or TimeoutException)
                {
                    return false;
                }
            },
            StartTimeout,
            "rabbitmq-server to accept the generated user",
            cancellationToken);
        StartedIn = clock.Elapsed;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One broker for the test classes that need it, started once and stopped after.</summary>
public sealed class RabbitMqFixture : IAsyncLifetime
{
    private RabbitMqBroker? _broker;

    public RabbitMqBroker Broker => _broker ?? throw new InvalidOperationException("The broker did not start.");

    public async ValueTask InitializeAsync() => _broker = await RabbitMqBroker.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}
