namespace FeedbackStream.Storage.Tests;

public sealed class ClickHouseOptionsTests
{
    [Fact]
    public void TheEmbeddedDefault_IsValid_AndMigratesAtStart()
    {
        var options = new ClickHouseOptions();
        Assert.Empty(options.Validate());
        Assert.True(options.ShouldMigrateOnStart);
    }

    [Fact]
    public void AServer_DoesNotMigrateAtStartUnlessTold()
    {
        var options = new ClickHouseOptions { Mode = ClickHouseMode.Server, ConnectionString = "Host=ch;Port=8123;Username=u" };
        Assert.Empty(options.Validate());
        Assert.False(options.ShouldMigrateOnStart);
        options.MigrateOnStart = true;
        Assert.True(options.ShouldMigrateOnStart);
    }

    [Theory]
    [InlineData(ClickHouseMode.Server, null, "feedbackstream", "ClickHouse:ConnectionString is required when ClickHouse:Mode is Server")]
    [InlineData(ClickHouseMode.Embedded, "Host=ch;Port=8123", "feedbackstream", "ClickHouse:ConnectionString is set but ClickHouse:Mode is Embedded")]
    [InlineData(ClickHouseMode.Embedded, null, "9lives", "ClickHouse:Database '9lives' is not a valid ClickHouse database name")]
    [InlineData(ClickHouseMode.Embedded, null, "db; DROP", "ClickHouse:Database 'db; DROP' is not a valid ClickHouse database name")]
    public void EveryProblem_NamesItsKey(ClickHouseMode mode, string? connectionString, string database, string expected)
    {
        var errors = new ClickHouseOptions { Mode = mode, ConnectionString = connectionString, Database = database }.Validate();
        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void ATimeoutOutOfRange_NamesItsKey() =>
        Assert.Contains(new ClickHouseOptions { ConnectTimeout = TimeSpan.Zero }.Validate(), e => e.StartsWith("ClickHouse:ConnectTimeout", StringComparison.Ordinal));
}
