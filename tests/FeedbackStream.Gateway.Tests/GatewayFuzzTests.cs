using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using FeedbackStream.Contracts;

namespace FeedbackStream.Gateway.Tests;

/// <summary>
/// Fuzzes the gateway's parser and validator in process (test server, Kafka replaced by <see cref="RecordingPublisher"/>):
/// random valid events of every type beside mutated ones, in JSON arrays and NDJSON, plus whole bodies mutated byte by
/// byte. Deterministic seed; bounded in count and time. Never a 500; a valid event beside invalid ones lands exactly once.
/// </summary>
public sealed class GatewayFuzzTests
{
    private const int Seed = 20261130;
    private const int BatchRequests = 5_500;
    private const int EventsPerBatch = 16;
    private const int WholeBodyRequests = 12_000;

    private static readonly string[] Reactions = ["love", "like", "laugh", "wow", "sad", "angry", "dislike"];
    private static readonly string[] Actions = ["copy", "share", "regenerate", "edit", "stop", "report"];

    private static readonly string[] Texts =
    [
        "hello", "Grüße aus Köln", "日本語のテキスト", "emoji 😀👍", "mail me at ann.lee@example.com", "call +1 415 555 0100",
        "card 4111 1111 1111 1111", "tab\tand\nnewline", "quote \" and backslash \\", "ip 10.0.0.1", "",
    ];

    private static readonly string[] Hostile =
    [
        "\\ud800", "\\udc00", "\\ud800\\u0041", "\\u0000", "\\\"", "\\u00e9", "\\uFFFF", "\\uD83D\\uDE00",
    ];

    private static readonly byte[][] HostileBytes =
    [
        [0xff], [0xfe], [0xc0, 0x80], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x00], [0x1f], [0x7f],
    ];

    /// <summary>The hostile bytes a JSON string may hold without breaking the JSON (control characters may not).</summary>
    private static readonly byte[][] InStringBytes = [.. HostileBytes.Where(b => b.All(x => x >= 0x20))];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Counts
    {
        public long Inputs;
        public long Accepted;
        public long Rejected;
        public long Duplicates;
        public long Status400;
        public long Status413;
        public long Status200;
        public long ValidEventsBesideInvalid;
    }

    [Fact]
    public async Task RandomAndMutatedBatches_NeverA500_ValidEventsLandOnce()
    {
        await using var gateway = await TestGateway.StartAsync(
            new() { ["Gateway:ApiKeys:0:Apps:0"] = "*", ["Gateway:RateLimitRequestsPerSecond"] = "0" },
            cancellationToken: Ct);
        using var http = gateway.Client();
        var random = new Random(Seed);
        var counts = new Counts();
        var published = new HashSet<(string App, string Id)>();
        var expected = new List<string>();
        var watch = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(150));

        var sequence = 0;
        for (var r = 0; r < BatchRequests; r++)
        {
            var ndjson = random.Next(2) == 0;
            var valid = new List<(int Index, string Id)>();
            var events = new List<byte[]>();
            for (var i = 0; i < EventsPerBatch; i++)
            {
                var id = $"ok-{sequence++:D7}";
                if (random.Next(3) == 0)
                {
                    valid.Add((i, id));
                    events.Add(Encoding.UTF8.GetBytes(ValidEvent(random, id)));
                }
                else
                {
                    events.Add(MutatedEvent(random, $"mx-{sequence++:D7}", structural: ndjson));
                }
            }

            counts.Inputs += events.Count;
            var body = ndjson ? Join(events, "\n"u8, ""u8, "\n"u8) : Join(events, ","u8, "["u8, "]"u8);
            using var response = await http.SendAsync(TestGateway.Post(body, ndjson ? "application/x-ndjson" : "application/json"), deadline.Token);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"batch {r}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}\n{Encoding.UTF8.GetString(body)}");
            counts.Status200++;
            var json = await TestGateway.JsonAsync(response, Ct);
            Tally(json, counts);
            var results = json.GetProperty("results");
            foreach (var (index, id) in valid)
            {
                var result = results[index];
                Assert.True(result.GetProperty("status").GetString() == "accepted", $"batch {r} event {index}: {result}\n{Encoding.UTF8.GetString(events[index])}");
                expected.Add(id);
            }

            counts.ValidEventsBesideInvalid += valid.Count;
        }

        for (var r = 0; r < WholeBodyRequests; r++)
        {
            var ndjson = random.Next(2) == 0;
            var events = Enumerable.Range(0, 1 + random.Next(4)).Select(_ => Encoding.UTF8.GetBytes(ValidEvent(random, $"wb-{sequence++:D7}"))).ToList();
            var body = ndjson ? Join(events, "\n"u8, ""u8, ""u8) : Join(events, ","u8, "["u8, "]"u8);
            body = MutateBytes(random, body, 1 + random.Next(4));
            counts.Inputs++;
            using var response = await http.SendAsync(TestGateway.Post(body, ndjson ? "application/x-ndjson" : "application/json"), deadline.Token);
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    counts.Status200++;
                    Tally(await TestGateway.JsonAsync(response, Ct), counts);
                    break;
                case HttpStatusCode.BadRequest:
                    counts.Status400++;
                    Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                    break;
                case HttpStatusCode.RequestEntityTooLarge:
                    counts.Status413++;
                    break;
                default:
                    Assert.Fail($"body {r}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}\n{Convert.ToHexString(body)}");
                    break;
            }
        }

        foreach (var message in gateway.Publisher.Published)
        {
            var value = FeedbackJson.Deserialize(message.Value);
            Assert.True(published.Add((value.AppId, value.EventId)), $"{value.AppId}/{value.EventId} was published twice");
        }

        var publishedIds = published.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        Assert.All(expected, id => Assert.Contains(id, publishedIds));
        Assert.True(counts.Inputs >= 100_000, $"only {counts.Inputs} inputs");
        var summary = $"gateway fuzz: seed {Seed}, inputs {counts.Inputs}, requests {BatchRequests + WholeBodyRequests} (200: {counts.Status200}, 400: {counts.Status400}, 413: {counts.Status413}, 500: 0), " +
            $"events accepted {counts.Accepted}, rejected {counts.Rejected}, duplicates {counts.Duplicates}, valid events beside invalid ones {counts.ValidEventsBesideInvalid} all landed once, {watch.Elapsed.TotalSeconds:F1} s";
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        TestContext.Current.SendDiagnosticMessage(summary);
    }

    private static void Tally(JsonElement json, Counts counts)
    {
        counts.Accepted += json.GetProperty("accepted").GetInt32();
        counts.Rejected += json.GetProperty("rejected").GetInt32();
        counts.Duplicates += json.GetProperty("duplicates").GetInt32();
    }

    private static byte[] Join(List<byte[]> parts, ReadOnlySpan<byte> separator, ReadOnlySpan<byte> open, ReadOnlySpan<byte> close)
    {
        var size = open.Length + close.Length + (parts.Count * separator.Length);
        foreach (var part in parts)
        {
            size += part.Length;
        }

        var buffer = new List<byte>(size);
        buffer.AddRange(open);
        for (var i = 0; i < parts.Count; i++)
        {
            if (i > 0)
            {
                buffer.AddRange(separator);
            }

            buffer.AddRange(parts[i]);
        }

        buffer.AddRange(close);
        return [.. buffer];
    }

    private static string Quote(string text) => JsonSerializer.Serialize(text);

    private static T Pick<T>(Random random, T[] values) => values[random.Next(values.Length)];

    private static string ValidEvent(Random random, string id)
    {
        var type = random.Next(5);
        var response = $"r-{random.Next(1000)}";
        var payload = type switch
        {
            0 => $$"""{"response_id":"{{response}}","turn_index":{{random.Next(50)}},"prompt_text":{{Quote(Pick(random, Texts))}},"response_text":{{Quote(Pick(random, Texts))}},"model_version":"m-{{random.Next(9)}}"{{(random.Next(2) == 0 ? $",\"latency_ms\":{random.NextDouble() * 5000:F2}" : "")}}{{(random.Next(2) == 0 ? ",\"locale\":\"pt-BR\"" : "")}}}""",
            1 or 2 => $$"""{"response_id":"{{response}}","reaction":"{{Pick(random, Reactions)}}"{{(random.Next(2) == 0 ? $",\"shown_to_reaction_ms\":{random.Next(100000)}" : "")}}}""",
            3 => $$"""{"response_id":"{{response}}","text":{{Quote(Pick(random, Texts) + "x")}}}""",
            _ => ActionPayload(random, response),
        };
        string[] types = ["response.served", "reaction.set", "reaction.cleared", "followup.sent", "response.action"];
        var occurred = DateTimeOffset.UtcNow.AddSeconds(-random.Next(3600)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffK", CultureInfo.InvariantCulture);
        return $$"""{"event_id":"{{id}}","type":"{{types[type]}}","schema_version":1,"app_id":"app-{{random.Next(3)}}","occurred_at":"{{occurred}}","user_id":"u-{{random.Next(100)}}","conversation_id":"c-{{random.Next(100)}}","payload":{{payload}}}""";
    }

    private static string ActionPayload(Random random, string response)
    {
        var action = Pick(random, Actions);
        return action == "edit"
            ? $$"""{"response_id":"{{response}}","action":"edit","edited_text":{{Quote(Pick(random, Texts) + "!")}}}"""
            : $$"""{"response_id":"{{response}}","action":"{{action}}"}""";
    }

    /// <summary>
    /// A valid event, then changed so that it most likely breaks the contract. Semantic changes keep the JSON well
    /// formed (for arrays, where malformed JSON fails the whole body by design); structural ones (NDJSON) may break it.
    /// </summary>
    private static byte[] MutatedEvent(Random random, string id, bool structural)
    {
        var text = ValidEvent(random, id);
        var kind = random.Next(structural ? 12 : 9);
        var mutated = Mutate(random, text, kind);
        if (!structural)
        {
            // Self-check of the generator: semantic mutations keep the JSON well formed (strings may hold invalid UTF-8).
            var reader = new Utf8JsonReader(mutated);
            try
            {
                while (reader.Read())
                {
                }
            }
            catch (JsonException e)
            {
                Assert.Fail($"generator: mutation {kind} broke the JSON ({e.Message}): {Encoding.UTF8.GetString(mutated)}");
            }
        }

        return mutated;
    }

    private static byte[] Mutate(Random random, string text, int kind)
    {
        string[] fields = ["event_id", "type", "schema_version", "app_id", "occurred_at", "user_id", "conversation_id", "payload", "response_id", "reaction", "action", "text", "turn_index", "model_version", "response_text"];
        var field = Pick(random, fields);
        var at = text.IndexOf($"\"{field}\":", StringComparison.Ordinal);
        if (at < 0 && kind <= 4)
        {
            // The picked field is not in this event type: add it as an unknown field instead.
            kind = 5;
        }

        switch (kind)
        {
            case 0 when at >= 0:
                // A value replaced by one of another JSON type.
                return Encoding.UTF8.GetBytes(ReplaceValue(text, at + field.Length + 3, Pick(random, ["null", "true", "12", "-1", "1e400", "{}", "[]", "\"\"", "\"x\"", "[1,[2]]", "{\"a\":{}}", "0.5", "99999999999999999999"])));
            case 1 when at >= 0:
                // A hostile escape inside the field's value.
                return Encoding.UTF8.GetBytes(InsertIntoString(text, at + field.Length + 3, Pick(random, Hostile)));
            case 2 when at >= 0:
                // Invalid UTF-8 bytes inside the value (the JSON stays well formed).
                return text[at + field.Length + 3] == '"'
                    ? SpliceBytes(text, at + field.Length + 4, Pick(random, InStringBytes))
                    : SpliceBytes(text.Insert(1, "\"h\":\"\","), 6, Pick(random, InStringBytes));
            case 3 when at >= 0:
                // Invalid bytes or an escape in the property name.
                return random.Next(2) == 0
                    ? SpliceBytes(text, at + 2, Pick(random, InStringBytes))
                    : Encoding.UTF8.GetBytes(text.Insert(at + 2, Pick(random, Hostile)));
            case 4 when at >= 0:
                // A field removed.
                return Encoding.UTF8.GetBytes(RemoveField(text, at));
            case 5:
                // An unknown field, or a known one twice.
                return Encoding.UTF8.GetBytes(text.Insert(1, random.Next(2) == 0 ? "\"extra\":1," : $"\"{field}\":\"x\","));
            case 6:
                // A string far over the limits.
                return Encoding.UTF8.GetBytes(at >= 0 ? ReplaceValue(text, at + field.Length + 3, Quote(new string('a', field.EndsWith("text", StringComparison.Ordinal) ? 32_769 : 300))) : text.Insert(1, "\"n\":1,"));
            case 7:
                // Not an object at all.
                return Encoding.UTF8.GetBytes(Pick(random, ["42", "\"event\"", "null", "[]", "[{}]", "true"]));
            case 8:
                // A type/payload mismatch.
                return Encoding.UTF8.GetBytes(text.Replace("\"type\":\"", "\"type\":\"x", StringComparison.Ordinal));
            default:
                // Structural: random bytes changed, inserted or removed (NDJSON lines only).
                return MutateBytes(random, Encoding.UTF8.GetBytes(text), 1 + random.Next(3), keepNewlinesOut: true);
        }
    }

    private static string InsertIntoString(string text, int valueStart, string escape) =>
        valueStart < text.Length && text[valueStart] == '"' ? text.Insert(valueStart + 1, escape) : text.Insert(1, $"\"h\":\"{escape}\",");

    private static byte[] SpliceBytes(string text, int at, byte[] bytes)
    {
        var head = Encoding.UTF8.GetBytes(text[..at]);
        var tail = Encoding.UTF8.GetBytes(text[at..]);
        return [.. head, .. bytes, .. tail];
    }

    /// <summary>Replaces the JSON value starting at <paramref name="valueStart"/> (a string, number, literal or object) with <paramref name="replacement"/>.</summary>
    private static string ReplaceValue(string text, int valueStart, string replacement)
    {
        var end = ValueEnd(text, valueStart);
        return string.Concat(text.AsSpan(0, valueStart), replacement, text.AsSpan(end));
    }

    private static int ValueEnd(string text, int start)
    {
        if (start >= text.Length)
        {
            return start;
        }

        if (text[start] == '"')
        {
            for (var i = start + 1; i < text.Length; i++)
            {
                if (text[i] == '\\')
                {
                    i++;
                }
                else if (text[i] == '"')
                {
                    return i + 1;
                }
            }

            return text.Length;
        }

        if (text[start] is '{' or '[')
        {
            var depth = 0;
            var inString = false;
            for (var i = start; i < text.Length; i++)
            {
                var c = text[i];
                if (inString)
                {
                    if (c == '\\')
                    {
                        i++;
                    }
                    else if (c == '"')
                    {
                        inString = false;
                    }
                }
                else if (c == '"')
                {
                    inString = true;
                }
                else if (c is '{' or '[')
                {
                    depth++;
                }
                else if (c is '}' or ']' && --depth == 0)
                {
                    return i + 1;
                }
            }

            return text.Length;
        }

        var stop = text.IndexOfAny([',', '}', ']'], start);
        return stop < 0 ? text.Length : stop;
    }

    private static string RemoveField(string text, int at)
    {
        var end = ValueEnd(text, text.IndexOf(':', at) + 1);
        if (end < text.Length && text[end] == ',')
        {
            return text.Remove(at, end + 1 - at);
        }

        return at > 0 && text[at - 1] == ',' ? text.Remove(at - 1, end - at + 1) : text.Remove(at, end - at);
    }

    private static byte[] MutateBytes(Random random, byte[] input, int mutations, bool keepNewlinesOut = false)
    {
        var bytes = new List<byte>(input);
        for (var m = 0; m < mutations && bytes.Count > 0; m++)
        {
            var at = random.Next(bytes.Count);
            byte value = (byte)(random.Next(4) == 0 ? Pick(random, "{}[]\",:\\0e-"u8.ToArray()) : random.Next(256));
            if (keepNewlinesOut && value == (byte)'\n')
            {
                value = (byte)' ';
            }

            switch (random.Next(4))
            {
                case 0:
                    bytes[at] = value;
                    break;
                case 1:
                    bytes.Insert(at, value);
                    break;
                case 2:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(8)));
                    break;
                default:
                    bytes.InsertRange(at, Pick(random, HostileBytes));
                    break;
            }
        }

        return [.. bytes];
    }
}
