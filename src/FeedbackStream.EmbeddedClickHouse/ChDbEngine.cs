using System.Runtime.InteropServices;
using System.Text;

namespace FeedbackStream.EmbeddedClickHouse;

/// <summary>
/// The process-wide chDB engine over one data folder, with a small pool of connections to it.
/// <list type="bullet">
/// <item>One process holds one data path: opening a second path while the first is open fails with a clear
/// error (chDB itself returns NULL). Opening the same path again shares the running engine.</item>
/// <item>One connection runs one query at a time; the pool hands each query its own connection, so queries
/// run in parallel up to the pool size and are serialized beyond it.</item>
/// <item>Signal handlers that chDB installs on connect are put back (see <see cref="SignalHandlerGuard"/>).</item>
/// </list>
/// The engine shuts down when the last lease is disposed; reopening the same path keeps the data.
/// </summary>
public sealed class ChDbEngine : IDisposable
{
    private static readonly Lock Gate = new();
    private static ChDbEngine? s_current;

    private readonly SemaphoreSlim _available;
    private readonly Stack<ChDbConnection> _idle = new();
    private readonly List<ChDbConnection> _all = [];
    private int _leases;
    private bool _closed;

    private ChDbEngine(string dataPath, int connections)
    {
        DataPath = dataPath;
        PoolSize = connections;
        _available = new SemaphoreSlim(connections, connections);
    }

    /// <summary>The data folder (absolute), or ":memory:".</summary>
    public string DataPath { get; }

    public int PoolSize { get; }

    /// <summary>Signals whose handlers chDB replaced and that were put back when the engine started.</summary>
    public IReadOnlyList<int> RestoredSignals { get; private set; } = [];

    /// <summary>
    /// Opens (or joins) the process-wide engine on <paramref name="dataPath"/>. Dispose the returned lease when done.
    /// </summary>
    public static ChDbEngine Open(string dataPath, int connections = 0, string? libraryPath = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataPath);
        var path = dataPath == ":memory:" ? dataPath : Path.GetFullPath(dataPath);
        if (connections <= 0)
        {
            connections = Math.Max(2, Environment.ProcessorCount);
        }

        lock (Gate)
        {
            if (s_current is { } current)
            {
                if (!string.Equals(current.DataPath, path, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException(
                        $"The ClickHouse engine in this process already serves data path '{current.DataPath}'; " +
                        $"it cannot open '{path}' at the same time (one data path per process). Use one data path per process, " +
                        "and separate databases within it.");
                }

                current._leases++;
                return current;
            }

            ChDbLibrary.EnsureLoaded(libraryPath);
            if (path != ":memory:")
            {
                Directory.CreateDirectory(path);
            }

            var engine = new ChDbEngine(path, connections);
            var snapshot = SignalHandlerGuard.Take();
            try
            {
                for (var i = 0; i < connections; i++)
                {
                    var connection = ChDbConnection.Connect(path);
                    engine._all.Add(connection);
                    engine._idle.Push(connection);
                }
            }
            catch
            {
                foreach (var connection in engine._all)
                {
                    connection.Close();
                }

                snapshot.RestoreChanged();
                throw;
            }

            var restored = snapshot.RestoreChanged().ToList();

            // Some handlers are installed lazily by the first query: run one and restore again.
            using (var lease = engine.Rent())
            {
                using var warmup = lease.Connection.Query("SELECT 1"u8, "TabSeparated"u8, []);
            }

            restored.AddRange(snapshot.RestoreChanged());
            engine.RestoredSignals = restored.Distinct().Order().ToArray();
            engine._leases = 1;
            s_current = engine;
            return engine;
        }
    }

    /// <summary>Rents a connection for one query; blocks while every connection is busy.</summary>
    internal ConnectionLease Rent(CancellationToken cancellationToken = default)
    {
        _available.Wait(cancellationToken);
        lock (_idle)
        {
            if (_closed)
            {
                _available.Release();
                throw new ObjectDisposedException(nameof(ChDbEngine));
            }

            return new ConnectionLease(this, _idle.Pop());
        }
    }

    private void Return(ChDbConnection connection)
    {
        lock (_idle)
        {
            _idle.Push(connection);
        }

        _available.Release();
    }

    public void Dispose()
    {
        lock (Gate)
        {
            if (_closed || --_leases > 0)
            {
                return;
            }

            // Wait for queries in flight, then close every connection; closing the last one stops the engine.
            for (var i = 0; i < PoolSize; i++)
            {
                _available.Wait(TimeSpan.FromSeconds(30));
            }

            lock (_idle)
            {
                _closed = true;
                foreach (var connection in _all)
                {
                    connection.Close();
                }
            }

            if (ReferenceEquals(s_current, this))
            {
                s_current = null;
            }
        }
    }

    internal readonly struct ConnectionLease(ChDbEngine engine, ChDbConnection connection) : IDisposable
    {
        public ChDbConnection Connection { get; } = connection;

        public void Dispose() => engine.Return(Connection);
    }
}

/// <summary>One chDB connection plus the per-connection state this component tracks (settings applied, current database).</summary>
internal sealed unsafe class ChDbConnection
{
    private nint _connectionPointer;

    private ChDbConnection(nint connectionPointer) => _connectionPointer = connectionPointer;

    /// <summary>Settings currently applied with SET on this connection, beyond the engine defaults.</summary>
    internal Dictionary<string, string> AppliedSettings { get; } = new(StringComparer.Ordinal);

    /// <summary>The connection's current database.</summary>
    internal string CurrentDatabase { get; set; } = "default";

    private nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_connectionPointer == 0, this);
            return *(nint*)_connectionPointer;
        }
    }

    internal static ChDbConnection Connect(string path)
    {
        string[] args = path == ":memory:" ? ["clickhouse"] : ["clickhouse", $"--path={path}"];
        var encoded = args.Select(a => Encoding.UTF8.GetBytes(a + "\0")).ToArray();
        var handles = encoded.Select(b => GCHandle.Alloc(b, GCHandleType.Pinned)).ToArray();
        try
        {
            var argv = stackalloc byte*[args.Length];
            for (var i = 0; i < args.Length; i++)
            {
                argv[i] = (byte*)handles[i].AddrOfPinnedObject();
            }

            var connection = ChDbNative.chdb_connect(args.Length, argv);
            if (connection == 0 || *(nint*)connection == 0)
            {
                throw new ChDbException(
                    $"chDB could not open data path '{path}'. Another process may hold it, or the folder is not writable.",
                    ErrorCodes.BadArguments);
            }

            return new ChDbConnection(connection);
        }
        finally
        {
            foreach (var handle in handles)
            {
                handle.Free();
            }
        }
    }

    /// <summary>Runs one statement. Throws <see cref="ChDbException"/> with the engine's error code on failure.</summary>
    internal ChDbResult Query(ReadOnlySpan<byte> sql, ReadOnlySpan<byte> format, IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        nint result;
        fixed (byte* sqlPtr = sql)
        fixed (byte* formatPtr = format)
        {
            if (parameters.Count == 0)
            {
                result = ChDbNative.chdb_query_n(Handle, sqlPtr, (nuint)sql.Length, formatPtr, (nuint)format.Length);
            }
            else
            {
                result = QueryWithParameters(sqlPtr, sql.Length, formatPtr, format.Length, parameters);
            }
        }

        if (result == 0)
        {
            throw new ChDbException("chDB returned no result for the query.", ErrorCodes.Unknown);
        }

        var error = ChDbNative.chdb_result_error(result);
        if (error != null)
        {
            var message = Marshal.PtrToStringUTF8((nint)error) ?? "unknown chDB error";
            ChDbNative.chdb_destroy_query_result(result);
            throw new ChDbException(message.TrimEnd());
        }

        return new ChDbResult(result);
    }

    /// <summary>Runs a statement whose result does not matter (SET, USE).</summary>
    internal void Execute(string sql)
    {
        var bytes = Encoding.UTF8.GetBytes(sql);
        using var result = Query(bytes, "TabSeparated"u8, []);
    }

    private nint QueryWithParameters(byte* sqlPtr, int sqlLength, byte* formatPtr, int formatLength, IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        var count = parameters.Count;
        var encoded = new byte[count * 2][];
        for (var i = 0; i < count; i++)
        {
            encoded[2 * i] = Encoding.UTF8.GetBytes(parameters[i].Key);
            encoded[(2 * i) + 1] = Encoding.UTF8.GetBytes(parameters[i].Value);
        }

        var pins = new GCHandle[encoded.Length];
        try
        {
            var names = stackalloc byte*[count];
            var nameLengths = stackalloc nuint[count];
            var values = stackalloc byte*[count];
            var valueLengths = stackalloc nuint[count];
            for (var i = 0; i < count; i++)
            {
                pins[2 * i] = GCHandle.Alloc(encoded[2 * i], GCHandleType.Pinned);
                pins[(2 * i) + 1] = GCHandle.Alloc(encoded[(2 * i) + 1], GCHandleType.Pinned);
                names[i] = (byte*)pins[2 * i].AddrOfPinnedObject();
                nameLengths[i] = (nuint)encoded[2 * i].Length;
                values[i] = (byte*)pins[(2 * i) + 1].AddrOfPinnedObject();
                valueLengths[i] = (nuint)encoded[(2 * i) + 1].Length;
            }

            return ChDbNative.chdb_query_with_params_n(
                Handle, sqlPtr, (nuint)sqlLength, formatPtr, (nuint)formatLength, names, nameLengths, values, valueLengths, (nuint)count);
        }
        finally
        {
            foreach (var pin in pins)
            {
                if (pin.IsAllocated)
                {
                    pin.Free();
                }
            }
        }
    }

    internal void Close()
    {
        var pointer = Interlocked.Exchange(ref _connectionPointer, 0);
        if (pointer != 0)
        {
            ChDbNative.chdb_close_conn(pointer);
        }
    }
}
