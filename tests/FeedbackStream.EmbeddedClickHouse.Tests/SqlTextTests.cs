using System.Text;

namespace FeedbackStream.EmbeddedClickHouse.Tests;

public sealed class SqlTextTests
{
    private static SqlAnalysis Analyze(string sql) => SqlText.Analyze(Encoding.UTF8.GetBytes(sql));

    [Theory]
    [InlineData("SELECT 1; SELECT 2")]
    [InlineData("SELECT 1;DROP TABLE x")]
    [InlineData("SELECT 'a'; -- comment\n SELECT 2")]
    [InlineData("CREATE TABLE t (x UInt8) ENGINE = Memory; INSERT INTO t VALUES (1)")]
    public void SecondStatement_IsAnError(string sql) =>
        Assert.Contains("Multi-statements", Analyze(sql).ErrorMessage, StringComparison.Ordinal);

    [Theory]
    [InlineData("SELECT ';' AS s")]
    [InlineData("SELECT 1 -- ; DROP TABLE x")]
    [InlineData("SELECT 1 /* ; /* nested ; */ ; */")]
    [InlineData("SELECT `a;b` FROM t")]
    [InlineData("SELECT \"x;\" FROM t")]
    [InlineData("SELECT $$ ; $$")]
    [InlineData("SELECT 'it''s; fine'")]
    [InlineData("SELECT 'esc\\'; still string'")]
    [InlineData("SELECT 1;")]
    [InlineData("SELECT 1; ; -- trailing\n")]
    public void SemicolonsInsideLiteralsCommentsOrAtTheEnd_AreFine(string sql) => Assert.Null(Analyze(sql).ErrorMessage);

    [Theory]
    [InlineData("SELECT 'unterminated")]
    [InlineData("SELECT /* open comment")]
    public void UnterminatedTokens_AreErrors(string sql) => Assert.NotNull(Analyze(sql).ErrorMessage);

    [Fact]
    public void InsertFormat_FindsFormatAndDataStart_AfterOneLineBreak()
    {
        const string sql = "INSERT INTO t (`a`, `b`) FORMAT RowBinary\n\n\nbinary";
        var analysis = Analyze(sql);
        Assert.Equal(StatementKind.Insert, analysis.Kind);
        Assert.True(analysis.HasInlineData);
        Assert.Equal("RowBinary", analysis.InputFormat);
        Assert.Equal("\n\nbinary", sql[analysis.DataStart..]);
    }

    [Fact]
    public void InsertValues_DataStartsAfterValues_ColumnNamedValuesInParenthesesIsIgnored()
    {
        const string sql = "insert into t (values, format) values (1, 'x')";
        var analysis = Analyze(sql);
        Assert.Equal("Values", analysis.InputFormat);
        Assert.Equal(" (1, 'x')", sql[analysis.DataStart..]);
    }

    [Fact]
    public void InsertSelect_HasNoInlineData()
    {
        var analysis = Analyze("INSERT INTO t SELECT * FROM s FORMAT Values");
        Assert.Equal(StatementKind.Insert, analysis.Kind);
        Assert.False(analysis.HasInlineData);
    }

    [Fact]
    public void InsertWithSettings_RemembersWhereSettingsStart()
    {
        const string sql = "INSERT INTO t SETTINGS async_insert=0 FORMAT TSV\n1\n";
        var analysis = Analyze(sql);
        Assert.Equal(sql.IndexOf("SETTINGS", StringComparison.Ordinal), analysis.SettingsAt);
        Assert.Equal("1\n", sql[analysis.DataStart..]);
    }

    [Theory]
    [InlineData("  -- lead\n SET max_threads = 1", "Set")]
    [InlineData("/* c */ use db", "Use")]
    [InlineData("WITH 1 AS x SELECT x", "Other")]
    public void FirstKeyword_SkipsCommentsAndIgnoresCase(string sql, string kind) => Assert.Equal(Enum.Parse<StatementKind>(kind), Analyze(sql).Kind);
}
