using System.Net;
using System.Net.Http.Headers;
using System.Text;
using FeedbackStream.Cli;
using FeedbackStream.Hosting;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>A stream that fails the test's expectations the moment anyone reads it, and counts the bytes handed out.</summary>
internal sealed class WatchedBody(long length) : Stream
{
    private long _position;

    public long BytesRead => Interlocked.Read(ref _position);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = (int)Math.Min(count, length - _position);
        buffer.AsSpan(offset, n).Fill((byte)' ');
        if (_position == 0 && n > 0)
        {
            buffer[offset] = (byte)'{';
        }

        _position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Hostile requests against a whole gateway process (real Kestrel, embedded engines).</summary>
[Collection(EnginesCollection.Name)]
public sealed class HostileRequestTests(EngineFixture engine)
{
    [Fact]
    public async Task Score_WithoutAKey_Is401_BeforeTheBodyIsRead_AndOversizedBodiesAre413()
    {
        await using var host = await E2E.StartHostAsync(engine, HostRoles.Gateway, new() { ["Gateway:MaxBodyBytes"] = "65536" });
        using var http = new HttpClient { BaseAddress = host.GatewayAddress };

        // 26 MB, unauthenticated: answered 401 from the headers; the body is not parsed.
        var body = new WatchedBody(26L * 1024 * 1024);
        using (var content = new StreamContent(body))
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            content.Headers.ContentLength = body.Length;
            using var response = await http.PostAsync("v1/score", content, E2E.Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        // With a key: a body over max_body_bytes is 413 whether its length is declared or not.
        foreach (var declared in new[] { true, false })
        {
            var large = new WatchedBody(1024 * 1024);
            using var content = new StreamContent(large);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (declared)
            {
                content.Headers.ContentLength = large.Length;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/score") { Content = content };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", E2E.ApiKey);
            using var response = await http.SendAsync(request, E2E.Ct);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }

        // A body that is not JSON: 415 with a problem body (it was an empty 415).
        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/score") { Content = new StringContent("items", Encoding.UTF8, "text/plain") })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", E2E.ApiKey);
            using var response = await http.SendAsync(request, E2E.Ct);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }
}

/// <summary>A bad database name is a one-line usage error with a non-zero exit, never a stack trace.</summary>
[Collection(EnginesCollection.Name)]
public sealed class BadDatabaseNameTests(EngineFixture engine)
{
    [Theory]
    [InlineData("migrate")]
    [InlineData("export-pairs")]
    public void DatabaseOption_RefusesANameClickHouseWouldNotAccept(string command)
    {
        var root = new System.CommandLine.RootCommand { MigrateCommand.Create(), ExportPairsCommand.Create() };
        var parse = root.Parse([command, "--database", "bad-name;DROP"]);
        var error = Assert.Single(parse.Errors);
        Assert.Contains("--database 'bad-name;DROP' is not a valid ClickHouse database name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithABadDatabaseSetting_ExitsNonZero_WithoutThrowing()
    {
        var root = new System.CommandLine.RootCommand { ServeCommand.Create() };
        var exit = await root.Parse(["serve", "--role", "gateway", "--ClickHouse:Database=bad-name", $"--ClickHouse:DataPath={engine.DataPath}", "--Gateway:Urls=http://127.0.0.1:0"])
            .InvokeAsync(cancellationToken: E2E.Ct);
        Assert.Equal(2, exit);
    }
}
