using System.Diagnostics;
using System.Text;
using FeedbackStream.Contracts.Telemetry;

namespace FeedbackStream.Contracts.Tests;

public sealed class TraceParentTests
{
    [Fact]
    public void Format_ThenTryParse_GivesTheSameRemoteContext()
    {
        var context = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

        var value = TraceParent.Format(context);

        Assert.Equal($"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-01", Encoding.ASCII.GetString(value));
        Assert.True(TraceParent.TryParse(value, out var parsed));
        Assert.Equal(context.TraceId, parsed.TraceId);
        Assert.Equal(context.SpanId, parsed.SpanId);
        Assert.Equal(ActivityTraceFlags.Recorded, parsed.TraceFlags);
        Assert.True(parsed.IsRemote);
    }

    [Fact]
    public void Format_OfAnUnsampledContext_CarriesFlags00()
    {
        var context = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);

        Assert.EndsWith("-00", Encoding.ASCII.GetString(TraceParent.Format(context)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01")]
    [InlineData("00-0AF7651916CD43DD8448EB211C80319G-b7ad6b7169203331-01")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01")]
    [InlineData("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\n")]
    public void TryParse_Malformed_IsFalseNotAnException(string value)
    {
        Assert.False(TraceParent.TryParse(Encoding.UTF8.GetBytes(value), out var context));
        Assert.Equal(default, context);
    }

    [Fact]
    public void TryParse_NonAsciiOrOversized_IsFalse()
    {
        Assert.False(TraceParent.TryParse([0xFF, 0xFE, 0x00, 0x80], out _));
        Assert.False(TraceParent.TryParse(Encoding.ASCII.GetBytes("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" + new string(' ', TraceParent.MaxBytes)), out _));
    }
}
