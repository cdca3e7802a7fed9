using ClickHouse.Driver;
using ClickHouse.Driver.ADO;

namespace FeedbackStream.EmbeddedClickHouse;

/// <summary>Options of the embedded ClickHouse engine.</summary>
public sealed class EmbeddedClickHouseOptions
{
    /// <summary>Folder holding the engine's data; it survives restarts. One per process.</summary>
    public string DataPath { get; set; } = Path.Combine(".feedbackstream", "clickhouse");

    /// <summary>libchdb.so; by default found where scripts/setup.sh installs it.</summary>
    public string? LibraryPath { get; set; }

    /// <summary>Engine connections, i.e. queries that can run at once. 0 means max(2, cores).</summary>
    public int Connections { get; set; }
}

/// <summary>
/// The embedded default for ClickHouse: the chDB engine in this process, reached through ClickHouse.Driver with an
/// in-process HTTP handler. Product code only ever sees <see cref="ClickHouseClient"/> and <see cref="ClickHouseDataSource"/>.
/// </summary>
public sealed class EmbeddedClickHouseServer : IDisposable
{
    /// <summary>The host name embedded connection strings use; no request leaves the process.</summary>
    public const string HostName = "embedded.clickhouse.invalid";

    private readonly ChDbEngine _engine;
    private readonly HttpClient _httpClient;
    private int _disposed;

    private EmbeddedClickHouseServer(ChDbEngine engine)
    {
        _engine = engine;
        Core = new ClickHouseHttpCore(engine);
        _httpClient = new HttpClient(new EmbeddedClickHouseHandler(Core), disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public ClickHouseHttpCore Core { get; }

    public string DataPath => _engine.DataPath;

    /// <summary>Starts (or joins) the engine on the configured data folder.</summary>
    public static EmbeddedClickHouseServer Start(EmbeddedClickHouseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new EmbeddedClickHouseServer(ChDbEngine.Open(options.DataPath, options.Connections, options.LibraryPath));
    }

    /// <summary>A driver connection string for <paramref name="database"/>; use it with <see cref="HttpClient"/>.</summary>
    public static string ConnectionString(string database = "default") =>
        $"Host={HostName};Port=8123;Protocol=http;Database={database};Compression=true";

    /// <summary>The shared in-process HTTP client; do not dispose it.</summary>
    public HttpClient HttpClient => _httpClient;

    public ClickHouseClient CreateClient(string database = "default") => new(ConnectionString(database), _httpClient);

    public ClickHouseDataSource CreateDataSource(string database = "default") => new(ConnectionString(database), _httpClient, disposeHttpClient: false);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _httpClient.Dispose();
            _engine.Dispose();
            Core.DeleteSpoolDirectory();
        }
    }
}
