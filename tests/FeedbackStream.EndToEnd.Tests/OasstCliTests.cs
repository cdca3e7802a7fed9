using System.Diagnostics;
using System.Text.Json;

namespace FeedbackStream.EndToEnd.Tests;

/// <summary>
/// The OpenAssistant commands as a user runs them (<c>feedbackstream eval ...</c> as a child process): a file of an
/// undocumented shape is refused with its line and field, repeated records are reported, and training that cannot
/// run ends with a message and a non-zero exit, never a stack trace.
/// </summary>
public sealed class OasstCliTests
{
    private static CancellationToken Ct => E2E.Ct;

    private static string Reply(string id, string emojis, int minute) =>
        $$"""{"message_id": "{{id}}", "parent_id": "p", "user_id": "u{{id}}", "created_date": "2024-01-01T10:{{minute:D2}}:00Z", "text": "reply {{id}}", "role": "assistant", "message_tree_id": "t", "emojis": {{emojis}}}""";

    private const string Prompt = """{"message_id": "p", "parent_id": null, "user_id": "asker", "created_date": "2024-01-01T09:00:00Z", "text": "a question", "role": "prompter", "message_tree_id": "t"}""";

    [Fact]
    public async Task EvalPloveOasst_WhenNoReplyHasAPlusOne_FailsWithAClearMessageAndExit1_NoStackTrace()
    {
        var lines = new[] { Prompt }.Concat(Enumerable.Range(0, 40).Select(i => Reply($"r{i}", """{"-1": 2}""", i))).ToList();
        var (code, stdout, stderr) = await RunAsync(lines, "eval", "plove", "--oasst");

        Assert.Equal(1, code);
        Assert.Contains("error: cannot train P[Love]", stderr, StringComparison.Ordinal);
        Assert.Contains("40 assistant replies, 0 with a +1 emoji", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", stderr + stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvalOasst_PlainObjectEmojisAreCounted_ARepeatedTreeIsReported()
    {
        var lines = new List<string> { Prompt };
        lines.AddRange(Enumerable.Range(0, 6).Select(i => Reply($"r{i}", i % 2 == 0 ? """{"+1": 3}""" : """{"-1": 1}""", i)));
        lines.AddRange(lines.ToList());
        var (code, stdout, stderr) = await RunAsync(lines, "eval", "oasst", "--json", null);

        Assert.Equal(0, code);
        var json = JsonDocument.Parse(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last()).RootElement;
        Assert.Equal(7, json.GetProperty("messages").GetInt32());
        Assert.Equal(7, json.GetProperty("duplicate_messages").GetInt32());
        Assert.Equal(0, json.GetProperty("conflicting_duplicates").GetInt32());
        Assert.Equal(9, json.GetProperty("mapping").GetProperty("loves").GetInt32()); // three replies with {"+1": 3}
        Assert.Contains("repeated messages in the file: 7", stdout, StringComparison.Ordinal);
        Assert.Contains("7 messages appear more than once", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvalOasst_FieldOfAnUndocumentedShape_IsRefusedWithLineAndField_Exit2()
    {
        string[] lines = [Prompt, Reply("r0", """{"+1": 3}""", 0), Reply("r1", """{"name": ["+1"], "count": ["three"]}""", 1)];
        var (code, stdout, stderr) = await RunAsync(lines, "eval", "oasst", null);

        Assert.Equal(2, code);
        Assert.Contains("line 3: ", stderr, StringComparison.Ordinal);
        Assert.Contains("message r1: emojis.count[0]: expected a non-negative integer", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvalFollowups_PrintsItsIntervals_AsText_NotAsConsoleMarkup()
    {
        // Interval brackets such as "[0.929, 0.979]" once went through the console's markup parser, which took them
        // for a style and stopped the command after the evaluation had run.
        var (code, stdout, stderr) = await E2E.RunCliAsync(["eval", "followups", "--encoder", "none", "--json"]);

        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Contains("AUC of P(DSAT)", stdout, StringComparison.Ordinal);
        Assert.Matches(@"\[0\.\d{3}, [01]\.\d{3}\]", stdout);
        Assert.DoesNotContain("Exception", stderr + stdout, StringComparison.Ordinal);
        var json = JsonDocument.Parse(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last()).RootElement;
        Assert.Equal(JsonValueKind.Object, json.ValueKind);
    }

    /// <summary>Writes <paramref name="lines"/> to a file and runs the CLI with the file where <see langword="null"/> stands in <paramref name="arguments"/> (or last).</summary>
    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(IEnumerable<string> lines, params string?[] arguments)
    {
        var file = Path.Combine(Path.GetTempPath(), $"fs-oasst-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllLinesAsync(file, lines, Ct);
        try
        {
            var resolved = arguments.Select(a => a ?? file).ToList();
            if (!arguments.Contains(null))
            {
                resolved.Add(file);
            }

            return await E2E.RunCliAsync(resolved);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
