using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace FeedbackStream.Gateway.Tests;

/// <summary>Collects log entries of every category.</summary>
internal sealed class CollectingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CollectingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((category, logLevel, formatter(state, exception), exception));
    }
}

/// <summary>Requests written byte by byte to a real Kestrel listener on loopback: framing the test server never sees.</summary>
public sealed class RawHttpTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Sends raw request bytes and reads until the server closes the connection (the requests say Connection: close).</summary>
    private static async Task<(int Status, string Response)> SendRawAsync(Uri address, string head, string body)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(20));
        using var client = new TcpClient();
        await client.ConnectAsync(address.Host, address.Port, deadline.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head), deadline.Token);
        if (body.Length > 0)
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(body), deadline.Token);
        }

        var received = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, deadline.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // The server may reset the connection after answering a malformed request.
        }

        var text = Encoding.Latin1.GetString(received.ToArray());
        Assert.StartsWith("HTTP/1.1 ", text, StringComparison.Ordinal);
        return (int.Parse(text.AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture), text);
    }

    private static string Head(string framing) =>
        $"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TestGateway.Key}\r\nContent-Type: application/json\r\nConnection: close\r\n{framing}\r\n";

    [Fact]
    public async Task ChunkSizeThatOverflows_Is400_NotA500()
    {
        var logs = new CollectingLoggerProvider();
        await using var gateway = await TestGateway.StartAsync(kestrel: true, logs: logs, cancellationToken: Ct);
        var (status, response) = await SendRawAsync(gateway.Address, Head("Transfer-Encoding: chunked\r\n"), "ffffffffffffffff\r\n[]\r\n0\r\n\r\n");
        Assert.True(status == 400, string.Join("\n", logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.Exception?.ToString())));
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Empty(gateway.Publisher.Published);
        _ = response;
    }

    [Fact]
    public async Task ChunkedTransferEncodingWithContentLength_Is400Problem()
    {
        await using var gateway = await TestGateway.StartAsync(kestrel: true, cancellationToken: Ct);
        var body = $"[{TestGateway.Event("smuggled")}]";
        var chunked = $"{Encoding.UTF8.GetByteCount(body):x}\r\n{body}\r\n0\r\n\r\n";
        var (status, response) = await SendRawAsync(gateway.Address, Head($"Transfer-Encoding: chunked\r\nContent-Length: {body.Length}\r\n"), chunked);
        Assert.True(status == 400, response);
        Assert.Contains("application/problem+json", response, StringComparison.Ordinal);
        Assert.Empty(gateway.Publisher.Published);
    }

    [Fact]
    public async Task BodySlowerThanTheMinimumRate_Is408_AndLogsNoError()
    {
        var logs = new CollectingLoggerProvider();
        await using var gateway = await TestGateway.StartAsync(
            kestrel: true,
            logs: logs,
            kestrelOptions: k => k.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(1000, TimeSpan.FromSeconds(1.5)),
            cancellationToken: Ct);
        var (status, response) = await SendRawAsync(gateway.Address, Head("Content-Length: 100000\r\n"), "[");
        Assert.True(status is 408 or 400, response);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.DoesNotContain(logs.Entries, e => e.Exception is not null && e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task WrongMethod_AndUnsupportedMediaType_AnswerWithAProblemBody()
    {
        await using var gateway = await TestGateway.StartAsync(kestrel: true, cancellationToken: Ct);
        var (status, response) = await SendRawAsync(gateway.Address, "GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", string.Empty);
        Assert.Equal(405, status);
        Assert.Contains("application/problem+json", response, StringComparison.Ordinal);
    }
}
