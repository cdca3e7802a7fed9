using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using ClickHouse.Driver.Compression;

namespace FeedbackStream.EmbeddedClickHouse;

/// <summary>An HTTP request in ClickHouse's HTTP interface, independent of the host (in-process handler or Kestrel).</summary>
public sealed record ClickHouseHttpRequest(
    string Method,
    string Path,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    string? ContentEncoding,
    Stream? Body)
{
    /// <summary>Request headers (names case-insensitive): credentials, Origin and Host; none for the in-process handler.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
}

/// <summary>The answer to a <see cref="ClickHouseHttpRequest"/>. Dispose it (or its body) to release the engine's buffer.</summary>
public sealed class ClickHouseHttpResponse(int statusCode, Stream body) : IDisposable
{
    public int StatusCode { get; } = statusCode;

    public Stream Body { get; } = body;

    public string ContentType { get; init; } = "text/plain; charset=UTF-8";

    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public void Dispose() => Body.Dispose();
}

/// <summary>
/// Executes ClickHouse HTTP-interface requests on the embedded chDB engine, as a ClickHouse server would:
/// SQL from the <c>query</c> parameter and/or the body; <c>param_*</c> through the engine's parameter binding;
/// every other parameter a setting applied to this query only; <c>database</c> and <c>default_format</c>;
/// gzip/deflate/br/zstd/lz4 request bodies; errors as an HTTP status plus <c>X-ClickHouse-Exception-Code</c>.
/// </summary>
/// <remarks>
/// The engine differs from a server in ways this class closes:
/// inline INSERT data is not binary safe in chDB (it ends at the first blank line and the rest runs as SQL), so every
/// INSERT body is written to a file and inserted with <c>FROM INFILE</c>; chDB runs every statement of a
/// multi-statement body, a server refuses it, and so does this class; a chDB connection keeps <c>SET</c> and <c>USE</c>
/// across queries, a stateless HTTP request does not, so settings are diffed per connection and reset, and SET/USE
/// statements sent as queries have no lasting effect.
/// </remarks>
public sealed class ClickHouseHttpCore
{
    private static readonly HashSet<string> ReservedParameters = new(StringComparer.Ordinal)
    {
        "query", "database", "default_format", "query_id", "user", "password", "quota_key", "session_id",
        "session_timeout", "session_check", "compress", "decompress", "buffer_size", "wait_end_of_query", "role",
        "stacktrace", "enable_http_compression", "http_zlib_compression_level", "send_progress_in_http_headers",
        "http_headers_progress_interval_ms", "add_http_cors_header", "http_native_compression_disable_checksumming_on_decompress",
    };

    private readonly ChDbEngine _engine;
    private readonly string _spoolDirectory;
    private string? _timezone;
    private long _spoolCounter;

    public ClickHouseHttpCore(ChDbEngine engine, string? spoolDirectory = null)
    {
        _engine = engine;
        _spoolDirectory = spoolDirectory ?? DefaultSpoolDirectory();
        Directory.CreateDirectory(_spoolDirectory);
    }

    public ChDbEngine Engine => _engine;

    /// <summary>Where INSERT bodies are spooled (created at construction).</summary>
    internal string SpoolDirectory => _spoolDirectory;

    /// <summary>Removes the spool directory and anything left in it; the owner calls it once no request runs any more.</summary>
    internal void DeleteSpoolDirectory()
    {
        try
        {
            Directory.Delete(_spoolDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Already gone, or not ours to remove: nothing to clean.
        }
    }

    /// <summary>Server version as the engine reports it.</summary>
    public string ServerVersion { get; private set; } = "";

    /// <summary>
    /// One spool folder per core (several cores, and so several owners, can live in one process: each removes only its
    /// own). Folders that a killed process left behind are removed here, by the process id in their name.
    /// </summary>
    private static string DefaultSpoolDirectory()
    {
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        RemoveAbandonedSpoolDirectories(root);
        return Path.Combine(root, $"feedbackstream-ch-{Environment.ProcessId}-{Guid.NewGuid():N}");
    }

    private static void RemoveAbandonedSpoolDirectories(string root)
    {
        foreach (var directory in Directory.EnumerateDirectories(root, "feedbackstream-ch-*"))
        {
            var parts = Path.GetFileName(directory).Split('-');
            if (parts.Length < 3 || !int.TryParse(parts[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) || ProcessIsAlive(pid))
            {
                continue;
            }

            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another process cleans it up at the same moment, or it is not ours to remove.
            }
        }
    }

    private static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Answers a request of the product's own in-process handler (<see cref="ClickHouseHttpAccess.Trusted"/>).</summary>
    public Task<ClickHouseHttpResponse> HandleAsync(ClickHouseHttpRequest request, CancellationToken cancellationToken) =>
        HandleAsync(request, ClickHouseHttpAccess.Trusted, cancellationToken);

    /// <summary>Answers a request under <paramref name="access"/>: credentials, origin, GET read-only, external access and size caps.</summary>
    public async Task<ClickHouseHttpResponse> HandleAsync(ClickHouseHttpRequest request, ClickHouseHttpAccess access, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(access);
        if (access.RefuseCrossOrigin && CrossOriginRefusal(request) is { } refusal)
        {
            return Error(HttpStatusCode.Forbidden, ErrorCodes.AccessDenied, refusal);
        }

        var path = request.Path.TrimEnd('/');
        if (path is "/ping" or "/replicas_status" ||
            (path.Length == 0 && request.Method == "GET" && !request.Query.Any(p => p.Key == "query")))
        {
            return Text(HttpStatusCode.OK, "Ok.\n");
        }

        if (path.Length != 0)
        {
            return Error(HttpStatusCode.NotFound, ErrorCodes.BadArguments, $"There is no handler for {request.Path}. Use / or /ping.");
        }

        if (request.Method is not ("GET" or "POST"))
        {
            return Error(HttpStatusCode.MethodNotAllowed, ErrorCodes.BadArguments, $"Method {request.Method} is not allowed; use GET or POST.");
        }

        var (user, password) = Credentials(request);
        if (!access.Authenticates(user, password))
        {
            return Error(HttpStatusCode.Forbidden, ErrorCodes.AuthenticationFailed, $"{user}: Authentication failed: password is incorrect, or there is no user with such name.");
        }

        if (request.Query.Any(p => p.Key == "decompress" && p.Value is "1" or "true"))
        {
            return Error(HttpStatusCode.BadRequest, ErrorCodes.NotImplemented, "ClickHouse native compression (decompress=1) is not supported by the embedded engine; use Content-Encoding.");
        }

        RequestText text;
        try
        {
            text = await ReadAsync(request, access, cancellationToken);
        }
        catch (RequestTooLargeException e)
        {
            return Error(HttpStatusCode.RequestEntityTooLarge, ErrorCodes.TooManyBytes, e.Message);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException)
        {
            return Error(HttpStatusCode.BadRequest, ErrorCodes.CannotDecompress, $"Cannot read the request body: {e.Message}");
        }

        try
        {
            if (access.ReadOnlyGet && request.Method == "GET" && text.Analysis.ErrorMessage is null && !SqlText.IsReading(text.Sql))
            {
                return Error(HttpStatusCode.Forbidden, ErrorCodes.Readonly,
                    "Cannot execute query in readonly mode. For queries over HTTP, method GET implies readonly. You should use method POST for modifying queries.");
            }

            if (!access.AllowExternalAccess && SqlText.FindExternalAccess(text.Sql) is { } external)
            {
                return Error(HttpStatusCode.Forbidden, ErrorCodes.AccessDenied,
                    $"{external} reads or writes files, programs or other services; this endpoint refuses it (start it with external access allowed to use it).");
            }

            return await Task.Run(() => Execute(request, text, cancellationToken), cancellationToken);
        }
        finally
        {
            if (text.SpoolFile is not null)
            {
                TryDelete(text.SpoolFile);
            }
        }
    }

    /// <summary>The statement text, its analysis, and for an INSERT with inline data the file its data was spooled to.</summary>
    private sealed record RequestText(byte[] Sql, SqlAnalysis Analysis, string? SpoolFile);

    /// <summary>
    /// Reads the query parameter and the (decoded) body. An INSERT's inline data is streamed to a spool file as soon
    /// as the statement head is known, so a large insert never sits in memory whole.
    /// </summary>
    private async Task<RequestText> ReadAsync(ClickHouseHttpRequest request, ClickHouseHttpAccess access, CancellationToken cancellationToken)
    {
        const int ChunkBytes = 1 << 16;
        const int HeadLimitBytes = 1 << 20;
        var head = new MemoryStream();
        var query = request.Query.LastOrDefault(p => p.Key == "query").Value;
        if (!string.IsNullOrEmpty(query))
        {
            head.Write(Encoding.UTF8.GetBytes(query));
        }

        if (head.Length > access.MaxQueryBytes)
        {
            throw RequestTooLargeException.Query(access.MaxQueryBytes);
        }

        if (request.Body is null)
        {
            var sqlOnly = head.ToArray();
            return new RequestText(sqlOnly, SqlText.Analyze(sqlOnly), null);
        }

        await using var body = new CappedStream(Decode(request.Body, request.ContentEncoding), access.MaxBodyBytes);
        var chunk = new byte[ChunkBytes];
        var separatorPending = head.Length > 0;
        while (true)
        {
            var read = await body.ReadAsync(chunk, cancellationToken);
            if (read == 0)
            {
                break;
            }

            if (separatorPending)
            {
                // ClickHouse joins the query parameter and a non-empty body with a line break.
                head.WriteByte((byte)'\n');
                separatorPending = false;
            }

            head.Write(chunk, 0, read);
            if (head.Length > HeadLimitBytes)
            {
                if (head.Length > access.MaxQueryBytes)
                {
                    throw RequestTooLargeException.Query(access.MaxQueryBytes);
                }

                continue;
            }

            var analysis = SqlText.Analyze(head.GetBuffer().AsSpan(0, (int)head.Length));
            if (analysis.Kind == StatementKind.Insert && analysis.HasInlineData && analysis.DataStart < head.Length)
            {
                var file = NewSpoolFile();
                try
                {
                    await using var spool = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, ChunkBytes, useAsync: true);
                    await spool.WriteAsync(head.GetBuffer().AsMemory(analysis.DataStart, (int)head.Length - analysis.DataStart), cancellationToken);
                    await body.CopyToAsync(spool, ChunkBytes, cancellationToken);
                }
                catch
                {
                    TryDelete(file);
                    throw;
                }

                return new RequestText(head.GetBuffer().AsSpan(0, analysis.DataStart).ToArray(), analysis, file);
            }
        }

        var sql = head.ToArray();
        var final = SqlText.Analyze(sql);
        if (final.Kind == StatementKind.Insert && final.HasInlineData)
        {
            var file = NewSpoolFile();
            await File.WriteAllBytesAsync(file, sql.AsMemory(final.DataStart).ToArray(), cancellationToken);
            return new RequestText(sql.AsSpan(0, final.DataStart).ToArray(), final, file);
        }

        return new RequestText(sql, final, null);
    }

    /// <summary>Why a cross-origin or non-loopback-named request is refused, or <see langword="null"/> when it is not.</summary>
    private static string? CrossOriginRefusal(ClickHouseHttpRequest request)
    {
        request.Headers.TryGetValue("Host", out var host);
        if (!string.IsNullOrEmpty(host) && !IsLoopbackAuthority(host))
        {
            return $"Host '{host}' is not a loopback name; this endpoint answers only requests addressed to 127.0.0.1, [::1] or localhost.";
        }

        if (request.Headers.TryGetValue("Origin", out var origin) && !string.IsNullOrEmpty(origin))
        {
            var sameOrigin = Uri.TryCreate(origin, UriKind.Absolute, out var originUri) && !string.IsNullOrEmpty(host) &&
                             string.Equals(originUri.Authority, host, StringComparison.OrdinalIgnoreCase) && IsLoopbackAuthority(originUri.Authority);
            if (!sameOrigin)
            {
                return $"Cross-origin request from '{origin}' refused: browsers may not send queries to this endpoint from other sites.";
            }
        }

        if (request.Headers.TryGetValue("Sec-Fetch-Site", out var site) && site is "cross-site")
        {
            return "Cross-site browser request refused.";
        }

        return null;
    }

    private static bool IsLoopbackAuthority(string authority)
    {
        var name = Uri.TryCreate("http://" + authority, UriKind.Absolute, out var uri) ? uri.DnsSafeHost : authority;
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(name, out var ip) && IPAddress.IsLoopback(ip));
    }

    /// <summary>The user and password of a request, from the places a server reads them: Basic auth, X-ClickHouse-User/Key headers, user/password parameters.</summary>
    private static (string User, string Password) Credentials(ClickHouseHttpRequest request)
    {
        if (request.Headers.TryGetValue("Authorization", out var authorization) &&
            authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                return colon < 0 ? (decoded, "") : (decoded[..colon], decoded[(colon + 1)..]);
            }
            catch (FormatException)
            {
                return ("", "");
            }
        }

        if (request.Headers.TryGetValue("X-ClickHouse-User", out var headerUser) || request.Headers.ContainsKey("X-ClickHouse-Key"))
        {
            return (string.IsNullOrEmpty(headerUser) ? "default" : headerUser, request.Headers.GetValueOrDefault("X-ClickHouse-Key") ?? "");
        }

        var user = request.Query.LastOrDefault(p => p.Key == "user").Value;
        var password = request.Query.LastOrDefault(p => p.Key == "password").Value;
        return (string.IsNullOrEmpty(user) ? "default" : user, password ?? "");
    }

    private static Stream Decode(Stream body, string? contentEncoding)
    {
        var encoding = contentEncoding?.Trim().ToLowerInvariant();
        return encoding switch
        {
            null or "" or "identity" => body,
            "gzip" or "x-gzip" => new GZipStream(body, CompressionMode.Decompress),
            "deflate" => new ZLibStream(body, CompressionMode.Decompress),
            "br" => new BrotliStream(body, CompressionMode.Decompress),
            "zstd" => new ZstdCompressor(3, 1 << 16).Decompress(body, leaveOpen: false),
            "lz4" => new Lz4Compressor(default, 1 << 16).Decompress(body, leaveOpen: false),
            _ => throw new NotSupportedException($"Content-Encoding '{contentEncoding}' is not supported (gzip, deflate, br, zstd, lz4)."),
        };
    }

    private ClickHouseHttpResponse Execute(ClickHouseHttpRequest request, RequestText text, CancellationToken cancellationToken)
    {
        var (sql, analysis, spoolFile) = text;
        if (analysis.ErrorMessage is not null)
        {
            return Error(HttpStatusCode.BadRequest, ErrorCodes.SyntaxError, analysis.ErrorMessage);
        }

        if (sql.AsSpan().Trim(" \t\r\n"u8).IsEmpty)
        {
            return Error(HttpStatusCode.BadRequest, ErrorCodes.SyntaxError, "Empty query.");
        }

        var queryId = request.Query.LastOrDefault(p => p.Key == "query_id").Value ?? Guid.NewGuid().ToString();
        var database = request.Query.LastOrDefault(p => p.Key == "database").Value;
        var format = request.Query.LastOrDefault(p => p.Key == "default_format").Value ?? "TabSeparated";
        var parameters = request.Query
            .Where(p => p.Key.StartsWith("param_", StringComparison.Ordinal))
            .Select(p => new KeyValuePair<string, string>(p.Key["param_".Length..], p.Value))
            .ToList();
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in request.Query)
        {
            if (!ReservedParameters.Contains(key) && !key.StartsWith("param_", StringComparison.Ordinal))
            {
                if (!IsSettingName(key))
                {
                    return Error(HttpStatusCode.BadRequest, ErrorCodes.UnknownSetting, $"'{key}' is not a valid setting name.");
                }

                settings[key] = value;
            }
        }

        if (analysis.Kind is StatementKind.Set or StatementKind.Use)
        {
            // A stateless HTTP request's SET or USE would end with the request anyway; on a pooled engine
            // connection it would outlive it, so it is answered without being run.
            return Text(HttpStatusCode.OK, "");
        }

        try
        {
            var statement = spoolFile is null ? sql : RewriteInsert(sql, analysis, spoolFile);
            using var lease = _engine.Rent(cancellationToken);
            var connection = lease.Connection;
            PrepareConnection(connection, database, settings);
            var result = connection.Query(statement, Encoding.UTF8.GetBytes(format), parameters);
            _timezone ??= ReadTimezone(connection);
            var response = new ClickHouseHttpResponse((int)HttpStatusCode.OK, result.OpenStream())
            {
                ContentType = ContentTypeFor(format),
            };
            response.Headers["X-ClickHouse-Query-Id"] = queryId;
            response.Headers["X-ClickHouse-Format"] = format;
            response.Headers["X-ClickHouse-Timezone"] = _timezone;
            response.Headers["X-ClickHouse-Server-Display-Name"] = "feedbackstream-embedded";
            response.Headers["X-ClickHouse-Summary"] = string.Create(
                CultureInfo.InvariantCulture,
                $"{{\"read_rows\":\"{result.RowsRead}\",\"read_bytes\":\"{result.BytesRead}\",\"written_rows\":\"{result.RowsWritten}\",\"written_bytes\":\"{result.BytesWritten}\",\"total_rows_to_read\":\"0\",\"result_rows\":\"0\",\"result_bytes\":\"{result.Length}\",\"elapsed_ns\":\"{(long)(result.Elapsed.TotalMilliseconds * 1_000_000)}\"}}");
            return response;
        }
        catch (ChDbException e)
        {
            return Error(StatusFor(e.Code), e.Code, e.Message);
        }
        catch (OperationCanceledException)
        {
            return Error(HttpStatusCode.ServiceUnavailable, 394, "Query was cancelled before it started.");
        }
    }

    private static bool IsSettingName(string key) => key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>Brings a pooled connection to exactly this request's database and settings; nothing leaks from the previous request.</summary>
    private static void PrepareConnection(ChDbConnection connection, string? database, Dictionary<string, string> settings)
    {
        var wanted = string.IsNullOrEmpty(database) ? "default" : database;
        if (!string.Equals(connection.CurrentDatabase, wanted, StringComparison.Ordinal))
        {
            connection.Execute($"USE {QuoteIdentifier(wanted)}");
            connection.CurrentDatabase = wanted;
        }

        var assignments = new List<string>();
        foreach (var (name, _) in connection.AppliedSettings)
        {
            if (!settings.ContainsKey(name))
            {
                assignments.Add($"{name} = DEFAULT");
            }
        }

        foreach (var (name, value) in settings)
        {
            if (!connection.AppliedSettings.TryGetValue(name, out var current) || current != value)
            {
                assignments.Add($"{name} = {QuoteString(value)}");
            }
        }

        if (assignments.Count == 0)
        {
            return;
        }

        try
        {
            connection.Execute("SET " + string.Join(", ", assignments));
        }
        catch (ChDbException)
        {
            ResetConnection(connection);
            throw;
        }

        foreach (var name in connection.AppliedSettings.Keys.Where(k => !settings.ContainsKey(k)).ToList())
        {
            connection.AppliedSettings.Remove(name);
        }

        foreach (var (name, value) in settings)
        {
            connection.AppliedSettings[name] = value;
        }
    }

    /// <summary>Puts every setting this component applied back to its default.</summary>
    private static void ResetConnection(ChDbConnection connection)
    {
        foreach (var name in connection.AppliedSettings.Keys.ToList())
        {
            try
            {
                connection.Execute($"SET {name} = DEFAULT");
            }
            catch (ChDbException)
            {
                // A name the engine refused was never applied.
            }
        }

        connection.AppliedSettings.Clear();
    }

    private string NewSpoolFile() =>
        Path.Combine(_spoolDirectory, $"insert-{Interlocked.Increment(ref _spoolCounter)}-{Guid.NewGuid():N}.bin");

    /// <summary>INSERT INTO t (cols) [SETTINGS ...] FORMAT F &lt;data&gt; becomes INSERT INTO t (cols) FROM INFILE 'file' [SETTINGS ...] FORMAT F.</summary>
    private static byte[] RewriteInsert(byte[] sql, SqlAnalysis analysis, string file)
    {
        var headEnd = analysis.SettingsAt >= 0 ? analysis.SettingsAt : analysis.HeadLength;
        var builder = new StringBuilder();
        builder.Append(Encoding.UTF8.GetString(sql, 0, headEnd).TrimEnd());
        builder.Append(" FROM INFILE ").Append(QuoteString(file));
        if (analysis.SettingsAt >= 0)
        {
            builder.Append(' ').Append(Encoding.UTF8.GetString(sql, analysis.SettingsAt, analysis.HeadLength - analysis.SettingsAt).TrimEnd());
        }

        builder.Append(" FORMAT ").Append(analysis.InputFormat);
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private static string ReadTimezone(ChDbConnection connection)
    {
        using var result = connection.Query("SELECT timezone()"u8, "TabSeparated"u8, []);
        return Encoding.UTF8.GetString(result.ToArray()).Trim();
    }

    internal static string QuoteString(string value)
    {
        var builder = new StringBuilder(value.Length + 2).Append('\'');
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\':
                    builder.Append(@"\\");
                    break;
                case '\'':
                    builder.Append(@"\'");
                    break;
                case '\0':
                    builder.Append(@"\0");
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        return builder.Append('\'').ToString();
    }

    private static string QuoteIdentifier(string name) => "`" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("`", "\\`", StringComparison.Ordinal) + "`";

    private static string ContentTypeFor(string format) => format switch
    {
        _ when format.StartsWith("JSON", StringComparison.OrdinalIgnoreCase) => "application/json; charset=UTF-8",
        _ when format.StartsWith("CSV", StringComparison.OrdinalIgnoreCase) => "text/csv; charset=UTF-8",
        _ when format.StartsWith("TabSeparated", StringComparison.OrdinalIgnoreCase) || format.StartsWith("TSV", StringComparison.OrdinalIgnoreCase) => "text/tab-separated-values; charset=UTF-8",
        _ when format.StartsWith("Pretty", StringComparison.OrdinalIgnoreCase) => "text/plain; charset=UTF-8",
        _ => "application/octet-stream",
    };

    private static HttpStatusCode StatusFor(int code) => code switch
    {
        ErrorCodes.UnknownTable or ErrorCodes.UnknownDatabase => HttpStatusCode.NotFound,
        ErrorCodes.SyntaxError or ErrorCodes.UnknownSetting or ErrorCodes.BadArguments or 6 or 27 or 38 or 41 or 43 or 46 or 47 or 53 or 70 or 72 or 117 or 456 or 457 => HttpStatusCode.BadRequest,
        _ => HttpStatusCode.InternalServerError,
    };

    private static ClickHouseHttpResponse Text(HttpStatusCode status, string text) =>
        new((int)status, new MemoryStream(Encoding.UTF8.GetBytes(text), writable: false));

    private static ClickHouseHttpResponse Error(HttpStatusCode status, int code, string message)
    {
        var text = message.StartsWith("Code:", StringComparison.Ordinal) ? message : $"Code: {code}. DB::Exception: {message}";
        var response = Text(status, text + "\n");
        response.Headers["X-ClickHouse-Exception-Code"] = code.ToString(CultureInfo.InvariantCulture);
        return response;
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
            // The spool folder is per process and removed on a clean exit; a leftover file is harmless.
        }
    }
}

/// <summary>A request body (decoded) or its SQL text beyond the configured cap.</summary>
internal sealed class RequestTooLargeException(string message) : Exception(message)
{
    public static RequestTooLargeException Query(long limit) =>
        new($"The query text is longer than the limit of {limit} bytes (MaxQueryBytes); send large data as an INSERT's inline data.");

    public static RequestTooLargeException Body(long limit) =>
        new($"The request body is larger than the limit of {limit} bytes after decompression (MaxBodyBytes).");
}

/// <summary>Reads through to <c>inner</c> and fails once more than <c>limit</c> bytes were read: decompression bombs stop at the cap.</summary>
internal sealed class CappedStream(Stream inner, long limit) : Stream
{
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Count(int read)
    {
        _read += read;
        if (_read > limit)
        {
            throw RequestTooLargeException.Body(limit);
        }

        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }
}
