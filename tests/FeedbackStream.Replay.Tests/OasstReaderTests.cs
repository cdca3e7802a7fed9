namespace FeedbackStream.Replay.Tests;

public sealed class OasstReaderTests
{
    private static string Describe(OasstMessage m) =>
        $"{m.MessageId}|{m.ParentId}|{m.UserId}|{m.CreatedDate:O}|{m.Text}|{m.Role}|{m.Rank}|{m.MessageTreeId}|{m.Lang}|"
        + string.Join(",", m.Emojis.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}"));

    [Fact]
    public void Flat_OneMessagePerLine_FieldsRead_BlankLinesSkipped()
    {
        var messages = OasstReader.Read(new StringReader(Fixtures.Flat));
        Assert.Equal(["p0", "a1", "a2", "p1", "a3", "q0", "b1"], messages.Select(m => m.MessageId));
        var a1 = messages[1];
        Assert.Equal("p0", a1.ParentId);
        Assert.Equal(OasstRole.Assistant, a1.Role);
        Assert.Equal(1, a1.Rank);
        Assert.Equal("t1", a1.MessageTreeId);
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 10, 5, 0, TimeSpan.Zero), a1.CreatedDate);
        Assert.Equal(1, a1.EmojiCount("+1"));
        Assert.Equal(2, a1.EmojiCount("-1"));
        Assert.Equal(0, a1.EmojiCount("red_flag"));
        Assert.Null(messages[0].ParentId);
        Assert.Empty(messages[3].Emojis);
    }

    [Fact]
    public void Nested_TreesWithReplies_GiveTheSameMessagesAsFlat_ParentAndTreeFromTheNesting()
    {
        var flat = OasstReader.Read(new StringReader(Fixtures.Flat)).Select(Describe).Order(StringComparer.Ordinal);
        var nested = OasstReader.Read(new StringReader(Fixtures.Nested)).Select(Describe).Order(StringComparer.Ordinal);
        Assert.Equal(flat, nested);
    }

    [Fact]
    public void Nested_TreeObjectWithoutTreeIdInMessages_UsesTheTreeObjectsId()
    {
        var messages = OasstReader.Read(new StringReader(Fixtures.Nested));
        Assert.All(messages.Where(m => m.MessageId is "q0" or "b1"), m => Assert.Equal("t2", m.MessageTreeId));
        Assert.Equal("q0", messages.Single(m => m.MessageId == "b1").ParentId);
    }

    [Fact]
    public void NestedRootWithoutAnyTreeId_TheRootIdIsTheTreeId()
    {
        const string Line = """{"message_id": "r", "user_id": "u", "created_date": "2024-01-01T00:00:00Z", "text": "hi", "role": "prompter", "replies": [{"message_id": "c", "user_id": "v", "created_date": "2024-01-01T00:01:00Z", "text": "hello", "role": "assistant"}]}""";
        var messages = OasstReader.Read(new StringReader(Line));
        Assert.All(messages, m => Assert.Equal("r", m.MessageTreeId));
        Assert.Equal("r", messages[1].ParentId);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1, 2]")]
    [InlineData("""{"message_id": "x", "user_id": "u", "created_date": "2024-01-01T00:00:00Z", "text": "?", "role": "moderator"}""")]
    [InlineData("""{"user_id": "u", "created_date": "2024-01-01T00:00:00Z", "text": "?", "role": "prompter"}""")]
    public void InvalidLine_FailsWithItsLineNumber(string line)
    {
        var e = Assert.Throws<InvalidDataException>(() => OasstReader.Read(new StringReader(Fixtures.Flat.Split('\n')[0] + "\n" + line)));
        Assert.StartsWith("line 2:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corpus_ChildrenByDate_Depth_Detached_Duplicates()
    {
        var extra = """{"message_id": "lost", "parent_id": "nowhere", "user_id": "u", "created_date": "2024-01-03T00:00:00Z", "text": "orphan", "role": "assistant", "message_tree_id": "t9"}""";
        var firstLine = Fixtures.Flat.Split('\n')[0];
        var corpus = Fixtures.Corpus(Fixtures.Flat + "\n" + extra + "\n" + firstLine);
        Assert.Equal(8, corpus.Messages.Count);
        Assert.Equal(1, corpus.DuplicateMessages);
        Assert.Equal(1, corpus.Detached);
        Assert.Equal(3, corpus.Trees);
        Assert.Equal(["a2", "a1"], corpus.ChildrenOf("p0").Select(m => m.MessageId));
        Assert.Equal(0, corpus.DepthOf("p0"));
        Assert.Equal(1, corpus.DepthOf("a1"));
        Assert.Equal(3, corpus.DepthOf("a3"));
        Assert.Null(corpus.DepthOf("lost"));
        Assert.Equal(["How do I boil an egg?", "Put it in boiling water for nine minutes.", "Thanks, that worked!"], corpus.PathTexts("p1"));
        Assert.Equal([new RankedPair("p0", "a2", "a1")], corpus.RankedSiblingPairs());
    }
}

public sealed class OasstReaderShapesTests
{
    private const string Head = """{"message_id": "a", "parent_id": "p", "user_id": "u", "created_date": "2024-01-01T00:00:00Z", "text": "hi", "role": "assistant", """;

    [Fact]
    public void Emojis_AsAPlainObjectOfCounts_AreRead_LikeTheNameCountShape()
    {
        var plain = OasstReader.Read(new StringReader(Head + "\"emojis\": {\"+1\": 4, \"-1\": 1}}"));
        var arrays = OasstReader.Read(new StringReader(Head + "\"emojis\": {\"name\": [\"+1\", \"-1\"], \"count\": [4, 1]}}"));

        Assert.Equal(4, plain[0].EmojiCount("+1"));
        Assert.Equal(1, plain[0].EmojiCount("-1"));
        Assert.Equal(arrays[0].Emojis.OrderBy(e => e.Key, StringComparer.Ordinal), plain[0].Emojis.OrderBy(e => e.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void WholeFileOfPlainObjectEmojis_GivesItsReactions_NotZero()
    {
        var lines = string.Join('\n', Enumerable.Range(0, 5).Select(i =>
            (Head + "\"emojis\": {\"+1\": " + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}").Replace("\"a\"", $"\"a{i}\"", StringComparison.Ordinal)));
        Assert.Equal(15, OasstReader.Read(new StringReader(lines)).Sum(m => m.EmojiCount("+1")));
    }

    [Theory]
    [InlineData("\"emojis\": {\"name\": [\"+1\"], \"count\": [\"four\"]}}", "emojis.count[0]")]
    [InlineData("\"emojis\": {\"name\": [\"+1\", \"-1\"], \"count\": [1]}}", "emojis: 2 names but 1 counts")]
    [InlineData("\"emojis\": {\"name\": [\"+1\"]}}", "emojis: \"name\" and \"count\"")]
    [InlineData("\"emojis\": {\"+1\": \"four\"}}", "emojis[\"+1\"]")]
    [InlineData("\"emojis\": {\"+1\": -2}}", "emojis[\"+1\"]")]
    [InlineData("\"emojis\": {\"+1\": 1.5}}", "emojis[\"+1\"]")]
    [InlineData("\"emojis\": [\"+1\"]}", "emojis: expected an object")]
    [InlineData("\"rank\": \"1\"}", "rank:")]
    [InlineData("\"deleted\": \"no\"}", "deleted:")]
    [InlineData("\"lang\": 7}", "lang: expected a string")]
    [InlineData("\"message_tree_id\": [\"t\"]}", "message_tree_id: expected a string")]
    [InlineData("\"replies\": {\"message_id\": \"c\"}}", "replies: expected an array")]
    [InlineData("\"replies\": [1]}", "replies: expected message objects")]
    public void FieldOfAnUndocumentedShape_FailsNamingTheLineMessageAndField(string tail, string field)
    {
        var text = Fixtures.Flat.Split('\n')[0] + "\n\n" + Head + tail;

        var e = Assert.Throws<InvalidDataException>(() => OasstReader.Read(new StringReader(text)));

        Assert.StartsWith("line 3:", e.Message, StringComparison.Ordinal);
        Assert.Contains("message a: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"created_date\": \"yesterday\", \"user_id\": \"u\", \"text\": \"\", \"role\": \"prompter\"}", "created_date: 'yesterday'")]
    [InlineData("\"created_date\": \"2024-01-01T00:00:00Z\", \"user_id\": 42, \"text\": \"\", \"role\": \"prompter\"}", "user_id: expected a string")]
    [InlineData("\"created_date\": \"2024-01-01T00:00:00Z\", \"user_id\": \"u\", \"text\": 3, \"role\": \"prompter\"}", "text: expected a string")]
    public void RequiredFieldOfTheWrongShape_FailsNamingIt(string tail, string field)
    {
        var e = Assert.Throws<InvalidDataException>(() => OasstReader.Read(new StringReader("""{"message_id": "m", """ + tail)));
        Assert.StartsWith("line 1: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TreeRepeatedOnTwoLines_IsCountedAndReported_FirstCopyKept()
    {
        var nested = Fixtures.Nested.Split('\n');
        var corpus = Fixtures.Corpus(nested[0] + "\n" + nested[1] + "\n" + nested[0]);

        Assert.Equal(7, corpus.Messages.Count);
        Assert.Equal(5, corpus.DuplicateMessages);
        Assert.Equal(0, corpus.ConflictingDuplicates);
        Assert.Contains("5 messages appear more than once", corpus.DuplicateSummary, StringComparison.Ordinal);
    }

    [Fact]
    public void RepeatedMessageWithDifferentContent_IsCountedAsConflicting()
    {
        var first = Fixtures.Flat.Split('\n')[1];
        var changed = first.Replace("\"count\": [1, 2, 1]", "\"count\": [9, 2, 1]", StringComparison.Ordinal);
        Assert.NotEqual(first, changed);
        var corpus = Fixtures.Corpus(Fixtures.Flat + "\n" + first + "\n" + changed);

        Assert.Equal(2, corpus.DuplicateMessages);
        Assert.Equal(1, corpus.ConflictingDuplicates);
        Assert.Equal(["a1"], corpus.ConflictingIds);
        Assert.Equal(1, corpus.Find("a1")!.EmojiCount("+1"));
        Assert.Contains("1 later copies differ", corpus.DuplicateSummary, StringComparison.Ordinal);
        Assert.Null(Fixtures.Corpus(Fixtures.Flat).DuplicateSummary);
    }
}
