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
    [Theory]
    [InlineData("SELECT 1", true)]
    [InlineData("  (SELECT 1) UNION ALL (SELECT 2)", true)]
    [InlineData("with x AS (SELECT 1) SELECT * FROM x", true)]
    [InlineData("SHOW TABLES", true)]
    [InlineData("DESCRIBE TABLE t", true)]
    [InlineData("EXISTS TABLE t", true)]
    [InlineData("/* c */ EXPLAIN SELECT 1", true)]
    [InlineData("CREATE TABLE t (x UInt8) ENGINE = Memory", false)]
    [InlineData("DROP TABLE t", false)]
    [InlineData("INSERT INTO t VALUES (1)", false)]
    [InlineData("ALTER TABLE t DELETE WHERE 1", false)]
    [InlineData("TRUNCATE TABLE t", false)]
    [InlineData("SYSTEM DROP DNS CACHE", false)]
    [InlineData("", false)]
    public void IsReading_OnlyForStatementsThatRead(string sql, bool reading) =>
        Assert.Equal(reading, SqlText.IsReading(Encoding.UTF8.GetBytes(sql)));

    [Theory]
    [InlineData("SELECT * FROM numbers(3)", null)]
    [InlineData("SELECT 'file(x)', `url` FROM t", null)]
    [InlineData("SELECT file FROM t WHERE url = 'remote(x)'", null)]
    [InlineData("INSERT INTO outfile VALUES (1)", null)]
    [InlineData("SELECT infile FROM t -- FROM INFILE 'x'", null)]
    [InlineData("SELECT * FROM merge(currentDatabase(), '^t')", null)]
    [InlineData("SELECT * FROM FiLe('/etc/passwd')", "FiLe()")]
    [InlineData("SELECT * FROM \"url\"('http://x')", "url()")]
    [InlineData("SELECT * FROM remoteSecure('h', db.t)", "remoteSecure()")]
    [InlineData("CREATE DICTIONARY d (k UInt64) PRIMARY KEY k SOURCE(HTTP(url 'http://x' format 'TSV')) LAYOUT(FLAT()) LIFETIME(0)", "HTTP()")]
    [InlineData("CREATE TABLE e (x String) ENGINE = Executable('x.sh', 'TSV')", "Executable()")]
    [InlineData("SELECT 1 INTO OUTFILE 'x.tsv'", "INTO OUTFILE")]
    [InlineData("INSERT INTO t FROM INFILE 'x.tsv' FORMAT TSV", "FROM INFILE")]
    [InlineData("RESTORE TABLE t FROM Disk('d', 'b')", "RESTORE")]
    public void FindExternalAccess_NamesTheFunctionEngineOrClause(string sql, string? expected) =>
        Assert.Equal(expected, SqlText.FindExternalAccess(Encoding.UTF8.GetBytes(sql)));
}
