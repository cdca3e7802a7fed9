using System.Text;

namespace FeedbackStream.Client.Tests;

public sealed class GatewayAnswersTests
{
    [Theory]
    [InlineData("""{"title":"Too many events in one request","detail":"d","limit":"max_events_per_batch","limit_value":"2000"}""", "max_events_per_batch", 2000L)]
    [InlineData("""{"title":"Request body too large","limit":"max_body_bytes","limit_value":4194304}""", "max_body_bytes", 4194304L)]
    [InlineData("""{"title":"Request body too large"}""", null, null)]
    [InlineData("not json", null, null)]
    public void ReadProblem_ReadsTheLimitExtensions(string body, string? limit, long? limitValue)
    {
        var problem = GatewayAnswers.ReadProblem(Encoding.UTF8.GetBytes(body));

        Assert.Equal((limit, limitValue), (problem.Limit, problem.LimitValue));
    }

    [Theory]
    [InlineData("""{"results":[{"index":0,"event_id":"a","status":"accepted"}]}""")]
    [InlineData("""{"results":[{"index":0,"event_id":"a","status":"accepted"},{"index":0,"event_id":"a","status":"accepted"}]}""")]
    [InlineData("""{"results":[{"index":0,"event_id":"b","status":"accepted"},{"index":1,"event_id":"a","status":"accepted"}]}""")]
    [InlineData("""{"results":[{"index":0,"event_id":"a","status":"accepted"},{"index":1,"event_id":"b","status":"queued"}]}""")]
    [InlineData("""{"results":[{"index":0,"event_id":"a","status":"accepted"},{"index":2,"event_id":"b","status":"accepted"}]}""")]
    public void ReadIngestAnswer_WhenTheResultsDoNotMatchTheBatch_ReturnsNull(string body)
    {
        Assert.Null(GatewayAnswers.ReadIngestAnswer(Encoding.UTF8.GetBytes(body), ["a", "b"]));
    }

    [Fact]
    public void ReadIngestAnswer_WithOneResultPerEvent_InAnyOrder_ReadsIt()
    {
        var body = """{"accepted":1,"duplicates":1,"rejected":0,"results":[{"index":1,"event_id":"b","status":"duplicate"},{"index":0,"status":"accepted","extra":true}]}""";

        var answer = GatewayAnswers.ReadIngestAnswer(Encoding.UTF8.GetBytes(body), ["a", "b"]);

        Assert.NotNull(answer);
        Assert.Equal(2, answer.Results!.Count);
    }

    [Theory]
    [InlineData("$[3].payload.reaction", 3, "$.payload.reaction")]
    [InlineData("$[3]", 3, "$")]
    [InlineData("$[12].occurred_at", 1, "$[12].occurred_at")]
    public void RelativePath_DropsTheRequestIndex(string path, int index, string expected)
    {
        Assert.Equal(expected, GatewayAnswers.RelativePath(path, index));
    }
}
