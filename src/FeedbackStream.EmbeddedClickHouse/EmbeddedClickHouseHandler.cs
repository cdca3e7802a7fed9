using System.Net;
using System.Net.Http.Headers;

namespace FeedbackStream.EmbeddedClickHouse;

/// <summary>
/// An <see cref="HttpMessageHandler"/> that answers ClickHouse.Driver's HTTP requests in-process on the embedded
/// engine: no sockets, the same driver code paths as against a server.
/// </summary>
public sealed class EmbeddedClickHouseHandler(ClickHouseHttpCore core) : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri ?? throw new ArgumentException("The request has no URI.", nameof(request));
        Stream? body = null;
        string? encoding = null;
        if (request.Content is not null)
        {
            body = await request.Content.ReadAsStreamAsync(cancellationToken);
            encoding = request.Content.Headers.ContentEncoding.LastOrDefault();
        }

        var answer = await core.HandleAsync(
            new ClickHouseHttpRequest(request.Method.Method, uri.AbsolutePath, QueryString.Parse(uri.Query), encoding, body),
            cancellationToken);

        var response = new HttpResponseMessage((HttpStatusCode)answer.StatusCode)
        {
            RequestMessage = request,
            Content = new StreamContent(answer.Body),
        };
        response.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(answer.ContentType);
        foreach (var (name, value) in answer.Headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }
}

/// <summary>URL query-string decoding as ClickHouse's HTTP interface reads it ('+' is a space).</summary>
public static class QueryString
{
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string query)
    {
        var result = new List<KeyValuePair<string, string>>();
        var span = query.AsSpan().TrimStart('?');
        foreach (var range in span.Split('&'))
        {
            var part = span[range];
            if (part.IsEmpty)
            {
                continue;
            }

            var equals = part.IndexOf('=');
            var key = equals < 0 ? part : part[..equals];
            var value = equals < 0 ? [] : part[(equals + 1)..];
            result.Add(new(Decode(key), Decode(value)));
        }

        return result;
    }

    private static string Decode(ReadOnlySpan<char> text) => Uri.UnescapeDataString(text.ToString().Replace('+', ' '));
}
