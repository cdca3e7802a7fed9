using System.IO.Compression;
using System.Net;
using System.Text;
using ClickHouse.Driver;
using ClickHouse.Driver.Compression;

namespace FeedbackStream.EmbeddedClickHouse.Tests;

/// <summary>The ClickHouse HTTP interface as curl and other tools see it, in-process and over loopback.</summary>
public sealed class HttpInterfaceTests(EngineFixture engine)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpClient Http(EngineFixture engine) => new(new EmbeddedClickHouseHandler(engine.Server.Core)) { BaseAddress = new Uri("http://local/") };

    [Fact]
    public async Task Ping_AnswersOk()
    {
        using var http = Http(engine);
        Assert.Equal("Ok.\n", await http.GetStringAsync("ping", Ct));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    [InlineData("zstd")]
    [InlineData("lz4")]
    [InlineData(null)]
    public async Task CompressedRequestBodies_AreDecoded(string? encoding)
    {
        using var http = Http(engine);
        var sql = Encoding.UTF8.GetBytes("SELECT 40 + 2");
        var body = new ByteArrayContent(Compress(sql, encoding));
        if (encoding is not null)
        {
            body.Headers.ContentEncoding.Add(encoding);
        }

        using var response = await http.PostAsync("?default_format=TabSeparated", body, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("42\n", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task UnknownContentEncoding_IsA400WithAnExceptionCode()
    {
        using var http = Http(engine);
        var body = new StringContent("SELECT 1");
        body.Headers.ContentEncoding.Add("snappy");
        using var response = await http.PostAsync("", body, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(response.Headers.Contains("X-ClickHouse-Exception-Code"));
    }

    [Fact]
    public async Task QueryParameterAndBody_AreJoined_AsAServerDoes()
    {
        var (client, database) = await engine.NewDatabaseAsync(Ct);
        await client.ExecuteNonQueryAsync("CREATE TABLE kv (k String, v UInt32) ENGINE = MergeTree ORDER BY k", null, null, Ct);
        using var http = Http(engine);

        // INSERT in the query parameter, TSV data (with an escaped blank line inside a value) in the body.
        var insert = Uri.EscapeDataString($"INSERT INTO {database}.kv FORMAT TabSeparated");
        using (var response = await http.PostAsync($"?query={insert}", new StringContent("a\\n\\nb\t1\nc\t2\n"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var select = Uri.EscapeDataString("SELECT k, v FROM kv ORDER BY k FORMAT TSV");
        Assert.Equal("a\\n\\nb\t1\nc\t2\n", await http.GetStringAsync($"?database={database}&query={select}", Ct));
    }

    [Theory]
    [InlineData(65_530)]
    [InlineData(65_536)]
    [InlineData(200_000)]
    public async Task InsertWhoseHeadSpansReadChunks_IsSplitAtTheRightByte(int commentBytes)
    {
        var (client, database) = await engine.NewDatabaseAsync(Ct);
        await client.ExecuteNonQueryAsync("CREATE TABLE v (s String) ENGINE = MergeTree ORDER BY s", null, null, Ct);
        using var http = Http(engine);
        var sql = $"INSERT INTO {database}.v /* {new string('x', commentBytes)} */ FORMAT TabSeparated\n\\n first\nsecond\n";

        using (var response = await http.PostAsync("", new StringContent(sql), Ct))
        {
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        }

        Assert.Equal("\n first,second", await client.ExecuteScalarAsync("SELECT arrayStringConcat(groupArray(s), ',') FROM (SELECT s FROM v ORDER BY s)", null, null, Ct));
    }

    [Fact]
    public async Task InsertValues_WithBlankLinesInsideAString_IsStoredExactly()
    {
        var (client, database) = await engine.NewDatabaseAsync(Ct);
        await client.ExecuteNonQueryAsync("CREATE TABLE notes (id UInt8, body String) ENGINE = MergeTree ORDER BY id", null, null, Ct);
        using var http = Http(engine);
        var sql = $"INSERT INTO {database}.notes VALUES (1, 'top\n\nDROP TABLE {database}.notes\n'), (2, 'x;y')";
        using (var response = await http.PostAsync("", new StringContent(sql), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal($"top\n\nDROP TABLE {database}.notes\n", await client.ExecuteScalarAsync("SELECT body FROM notes WHERE id = 1", null, null, Ct));
        Assert.Equal(2UL, await client.ExecuteScalarAsync("SELECT count() FROM notes", null, null, Ct));
    }

    [Fact]
    public async Task UnknownSetting_IsRefused_WithCode115_AndDoesNotPoisonTheConnection()
    {
        using var http = Http(engine);
        using (var response = await http.PostAsync("?no_such_setting_here=1", new StringContent("SELECT 1"), Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("115", response.Headers.GetValues("X-ClickHouse-Exception-Code").Single());
        }

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("1\n", await (await http.PostAsync("", new StringContent("SELECT 1"), Ct)).Content.ReadAsStringAsync(Ct));
        }
    }

    [Fact]
    public async Task Listener_OnLoopback_ServesCurlStyleRequests_AndTheDriverOverRealHttp()
    {
        await using var listener = await ClickHouseHttpListener.StartAsync(engine.Server.Core, port: 0, cancellationToken: Ct);
        Assert.Equal("127.0.0.1", listener.Address.Host);

        using var http = new HttpClient { BaseAddress = listener.Address };
        Assert.Equal("Ok.\n", await http.GetStringAsync("ping", Ct));
        Assert.Equal("3\n", await http.GetStringAsync($"?query=SELECT%201%2B2&user=default&password={listener.Access.Password}", Ct));

        var (_, database) = await engine.NewDatabaseAsync(Ct);
        using var client = new ClickHouseClient(listener.ConnectionString(database));
        await client.ExecuteNonQueryAsync("CREATE TABLE r (id UInt64, s String) ENGINE = MergeTree ORDER BY id", null, null, Ct);
        await client.InsertBinaryAsync("r", ["id", "s"], Enumerable.Range(0, 5000).Select(i => new object[] { (ulong)i, $"row\n\n{i}" }), null, Ct);
        Assert.Equal(5000UL, await client.ExecuteScalarAsync("SELECT countDistinct(s) FROM r", null, null, Ct));
        var error = await Assert.ThrowsAsync<ClickHouseServerException>(() => client.ExecuteScalarAsync("SELECT * FROM missing", null, null, Ct));
        Assert.Equal(60, error.ErrorCode);
    }

    private static HttpRequestMessage Get(string query) => new(HttpMethod.Get, "?query=" + Uri.EscapeDataString(query));

    private static HttpRequestMessage Post(string sql, string? query = null) =>
        new(HttpMethod.Post, query is null ? "" : "?" + query) { Content = new StringContent(sql) };

    private static HttpRequestMessage WithBasic(HttpRequestMessage request, string user, string password)
    {
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return request;
    }

    private static async Task<(HttpStatusCode Status, string Code, string Body)> SendAsync(HttpClient http, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await http.SendAsync(request, Ct);
            var code = response.Headers.TryGetValues("X-ClickHouse-Exception-Code", out var values) ? values.Single() : "";
            return (response.StatusCode, code, await response.Content.ReadAsStringAsync(Ct));
        }
    }

    [Fact]
    public async Task Listener_AnyUserOrPassword_IsRefused_TheConfiguredOnesAreAcceptedInEveryWayAServerReadsThem()
    {
        await using var listener = await ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, new ClickHouseHttpAccess { Password = "s3cret" }, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = listener.Address };

        Assert.Equal((HttpStatusCode.Forbidden, "516"), Pick(await SendAsync(http, Get("SELECT 1"))));
        Assert.Equal((HttpStatusCode.Forbidden, "516"), Pick(await SendAsync(http, WithBasic(Get("SELECT 1"), "default", "wrong"))));
        Assert.Equal((HttpStatusCode.Forbidden, "516"), Pick(await SendAsync(http, WithBasic(Get("SELECT 1"), "admin", "s3cret"))));
        Assert.Equal((HttpStatusCode.Forbidden, "516"), Pick(await SendAsync(http, Post("SELECT 1", "user=anyone&password=anything"))));

        Assert.Equal("1\n", (await SendAsync(http, WithBasic(Get("SELECT 1"), "default", "s3cret"))).Body);
        var headers = Get("SELECT 2");
        headers.Headers.Add("X-ClickHouse-User", "default");
        headers.Headers.Add("X-ClickHouse-Key", "s3cret");
        Assert.Equal("2\n", (await SendAsync(http, headers)).Body);
        Assert.Equal("3\n", (await SendAsync(http, Post("SELECT 3", "user=default&password=s3cret"))).Body);
        Assert.Equal("Ok.\n", await http.GetStringAsync("ping", Ct));
    }

    [Fact]
    public async Task Listener_GetIsReadOnly_CreateAndDropOverGetAreRefused_PostRunsThem()
    {
        var (client, database) = await engine.NewDatabaseAsync(Ct);
        await client.ExecuteNonQueryAsync("CREATE TABLE keep (x UInt8) ENGINE = MergeTree ORDER BY x", null, null, Ct);
        await using var listener = await ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, new ClickHouseHttpAccess { Password = "pw" }, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = listener.Address };

        Assert.Equal((HttpStatusCode.Forbidden, "164"), Pick(await SendAsync(http, WithBasic(Get($"CREATE TABLE {database}.made (x UInt8) ENGINE = Memory"), "default", "pw"))));
        Assert.Equal((HttpStatusCode.Forbidden, "164"), Pick(await SendAsync(http, WithBasic(Get($"DROP TABLE {database}.keep"), "default", "pw"))));
        Assert.Equal((HttpStatusCode.Forbidden, "164"), Pick(await SendAsync(http, WithBasic(Get($"INSERT INTO {database}.keep VALUES (1)"), "default", "pw"))));
        Assert.Equal("1\n", (await SendAsync(http, WithBasic(Get($"SELECT count() FROM system.tables WHERE database = '{database}' AND name = 'keep'"), "default", "pw"))).Body);
        Assert.Equal("0\n", (await SendAsync(http, WithBasic(Get($"SELECT count() FROM system.tables WHERE database = '{database}' AND name = 'made'"), "default", "pw"))).Body);

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, WithBasic(Post($"CREATE TABLE {database}.made (x UInt8) ENGINE = Memory"), "default", "pw"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, WithBasic(Post($"DROP TABLE {database}.keep"), "default", "pw"))).Status);
    }

    [Theory]
    [InlineData("http://evil.example")]
    [InlineData("null")]
    public async Task Listener_CrossOriginBrowserPost_IsRefused_EvenWithTextPlainAndTheRightPassword(string origin)
    {
        var (client, database) = await engine.NewDatabaseAsync(Ct);
        await client.ExecuteNonQueryAsync("CREATE TABLE keep (x UInt8) ENGINE = MergeTree ORDER BY x", null, null, Ct);
        await using var listener = await ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, new ClickHouseHttpAccess { Password = "pw" }, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = listener.Address };

        var request = Post($"DROP TABLE {database}.keep", "user=default&password=pw");
        request.Headers.Add("Origin", origin);
        Assert.Equal((HttpStatusCode.Forbidden, "497"), Pick(await SendAsync(http, request)));
        Assert.Equal(1UL, await client.ExecuteScalarAsync($"SELECT count() FROM system.tables WHERE database = '{database}' AND name = 'keep'", null, null, Ct));

        var rebound = Post("SELECT 1", "user=default&password=pw");
        rebound.Headers.Host = "attacker.example";
        Assert.Equal((HttpStatusCode.Forbidden, "497"), Pick(await SendAsync(http, rebound)));

        var sameOrigin = Post("SELECT 1", "user=default&password=pw");
        sameOrigin.Headers.Add("Origin", listener.Address.GetLeftPart(UriPartial.Authority));
        Assert.Equal("1\n", (await SendAsync(http, sameOrigin)).Body);
    }

    [Theory]
    [InlineData("SELECT * FROM file('/etc/passwd', 'LineAsString')", "file()")]
    [InlineData("SELECT file('/etc/passwd')", "file()")]
    [InlineData("SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString', 's String')", "url()")]
    [InlineData("INSERT INTO FUNCTION file('/tmp/x.tsv', 'TSV', 'x UInt8') VALUES (1)", "file()")]
    [InlineData("SELECT * FROM remote('127.0.0.1', system.one)", "remote()")]
    [InlineData("SELECT * FROM s3('http://127.0.0.1:1/b/k', 'CSV')", "s3()")]
    [InlineData("SELECT * FROM mysql('127.0.0.1:3306', 'd', 't', 'u', 'p')", "mysql()")]
    [InlineData("SELECT * FROM postgresql('127.0.0.1:5432', 'd', 't', 'u', 'p')", "postgresql()")]
    [InlineData("SELECT * FROM hdfs('hdfs://127.0.0.1:9000/x', 'TSV')", "hdfs()")]
    [InlineData("SELECT * FROM `file` ('/etc/passwd', 'LineAsString')", "file()")]
    [InlineData("SELECT * FROM FILE/* c */('/etc/passwd', 'LineAsString')", "FILE()")]
    [InlineData("CREATE TABLE leak (s String) ENGINE = URL('http://127.0.0.1:1/', 'LineAsString')", "URL()")]
    [InlineData("INSERT INTO t FROM INFILE '/etc/passwd' FORMAT LineAsString", "FROM INFILE")]
    [InlineData("SELECT 1 INTO OUTFILE '/tmp/out.tsv'", "INTO OUTFILE")]
    [InlineData("BACKUP TABLE t TO Disk('default', 'b.zip')", "BACKUP")]
    public async Task Listener_SqlThatReachesFilesOrServices_IsRefusedUnlessEnabled(string sql, string named)
    {
        await using var listener = await ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, new ClickHouseHttpAccess { Password = "pw" }, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = listener.Address };

        var (status, code, body) = await SendAsync(http, WithBasic(Post(sql), "default", "pw"));

        Assert.Equal((HttpStatusCode.Forbidden, "497"), (status, code));
        Assert.Contains(named, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listener_WithExternalAccessAllowed_ReadsAFile_AndStringsOrColumnsNamedLikeFunctionsAreNotRefused()
    {
        var file = Path.Combine(Path.GetTempPath(), $"fs-ch-file-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, "hello\n", Ct);
        try
        {
            await using var open = await ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, new ClickHouseHttpAccess { Password = "pw", AllowExternalAccess = true }, cancellationToken: Ct);
            using var openHttp = new HttpClient { BaseAddress = open.Address };
            Assert.Equal("hello\n", (await SendAsync(openHttp, WithBasic(Post($"SELECT * FROM file('{file}', 'LineAsString')"), "default", "pw"))).Body);

            await using var closed = await ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, new ClickHouseHttpAccess { Password = "pw" }, cancellationToken: Ct);
            using var closedHttp = new HttpClient { BaseAddress = closed.Address };
            Assert.Equal("file(x) INTO OUTFILE\t1\n", (await SendAsync(closedHttp, WithBasic(Post("SELECT 'file(x) INTO OUTFILE' AS url, 1 AS file"), "default", "pw"))).Body);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("INSERT INTO {0}.s FORMAT LineAsString\n")]
    [InlineData("SELECT 1 -- ")]
    public async Task Listener_GzipBodyOfAFewMegabytesExpandingTo500MB_Is413AtTheCap(string head)
    {
        var (client, database) = await engine.NewDatabaseAsync(Ct);
        await client.ExecuteNonQueryAsync("CREATE TABLE s (s String) ENGINE = MergeTree ORDER BY s", null, null, Ct);
        const long cap = 8L << 20;
        await using var listener = await ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, new ClickHouseHttpAccess { Password = "pw", MaxBodyBytes = cap, MaxQueryBytes = 1 << 20 }, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = listener.Address };
        var bomb = GzipBomb(Encoding.UTF8.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, head, database)), 500L << 20);
        Assert.InRange(bomb.Length, 1, 4 << 20);

        var request = WithBasic(new HttpRequestMessage(HttpMethod.Post, "") { Content = new ByteArrayContent(bomb) }, "default", "pw");
        request.Content!.Headers.ContentEncoding.Add("gzip");
        var (status, code, body) = await SendAsync(http, request);

        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "307"), (status, code));
        Assert.Contains("limit", body, StringComparison.Ordinal);
        Assert.Equal(0UL, await client.ExecuteScalarAsync("SELECT count() FROM s", null, null, Ct));
        Assert.Equal("1\n", (await SendAsync(http, WithBasic(Post("SELECT 1"), "default", "pw"))).Body);
    }

    [Fact]
    public async Task Listener_RawBodyLargerThanTheCap_Is413()
    {
        await using var listener = await ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, new ClickHouseHttpAccess { Password = "pw", MaxBodyBytes = 1 << 20 }, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = listener.Address };

        var (status, code, _) = await SendAsync(http, WithBasic(Post("SELECT 1 -- " + new string('x', 2 << 20)), "default", "pw"));

        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "307"), (status, code));
    }

    /// <summary><paramref name="head"/> then <paramref name="bytes"/> of "a" lines, gzip-compressed without holding the expansion in memory.</summary>
    private static byte[] GzipBomb(byte[] head, long bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(head);
            var chunk = new byte[1 << 20];
            for (var i = 0; i < chunk.Length; i += 2)
            {
                chunk[i] = (byte)'a';
                chunk[i + 1] = (byte)'\n';
            }

            for (long written = 0; written < bytes; written += chunk.Length)
            {
                gzip.Write(chunk);
            }
        }

        return output.ToArray();
    }

    [Fact]
    public async Task InProcessHandler_KeepsItsOwnInfileSpoolPath_AndIsNotRestricted()
    {
        var (client, _) = await engine.NewDatabaseAsync(Ct);
        await client.ExecuteNonQueryAsync("CREATE TABLE r (id UInt64) ENGINE = MergeTree ORDER BY id", null, null, Ct);
        await client.InsertBinaryAsync("r", ["id"], Enumerable.Range(0, 100).Select(i => new object[] { (ulong)i }), null, Ct);
        Assert.Equal(100UL, await client.ExecuteScalarAsync("SELECT count() FROM r", null, null, Ct));
    }

    private static (HttpStatusCode, string) Pick((HttpStatusCode Status, string Code, string Body) answer) => (answer.Status, answer.Code);

    [Fact]
    public async Task Listener_RefusesNonLoopbackAddresses()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => ClickHouseHttpListener.StartAsync(engine.Server.Core, 0, IPAddress.Any, Ct));
    }

    [Fact]
    public void SecondDataPath_InTheSameProcess_FailsWithAClearMessage_SamePathIsShared()
    {
        var other = Path.Combine(Path.GetTempPath(), $"fs-ch-other-{Guid.NewGuid():N}");
        var error = Assert.Throws<InvalidOperationException>(() => ChDbEngine.Open(other));
        Assert.Contains("one data path per process", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(other));

        using var same = ChDbEngine.Open(engine.DataPath);
        Assert.Same(engine.Server.Core.Engine, same);
    }

    private static byte[] Compress(byte[] data, string? encoding)
    {
        if (encoding is null)
        {
            return data;
        }

        using var output = new MemoryStream();
        using (Stream compressor = encoding switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "deflate" => new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "br" => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "zstd" => new ZstdCompressor(3, 1 << 16).Compress(output, leaveOpen: true),
            "lz4" => new Lz4Compressor(default, 1 << 16).Compress(output, leaveOpen: true),
            _ => throw new ArgumentOutOfRangeException(nameof(encoding)),
        })
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }
}
