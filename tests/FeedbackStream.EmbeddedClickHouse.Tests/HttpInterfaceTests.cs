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
        Assert.Equal("3\n", await http.GetStringAsync("?query=SELECT%201%2B2", Ct));

        var (_, database) = await engine.NewDatabaseAsync(Ct);
        using var client = new ClickHouseClient($"Host=127.0.0.1;Port={listener.Address.Port};Protocol=http;Database={database}");
        await client.ExecuteNonQueryAsync("CREATE TABLE r (id UInt64, s String) ENGINE = MergeTree ORDER BY id", null, null, Ct);
        await client.InsertBinaryAsync("r", ["id", "s"], Enumerable.Range(0, 5000).Select(i => new object[] { (ulong)i, $"row\n\n{i}" }), null, Ct);
        Assert.Equal(5000UL, await client.ExecuteScalarAsync("SELECT countDistinct(s) FROM r", null, null, Ct));
        var error = await Assert.ThrowsAsync<ClickHouseServerException>(() => client.ExecuteScalarAsync("SELECT * FROM missing", null, null, Ct));
        Assert.Equal(60, error.ErrorCode);
    }

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
