using FeedbackStream.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;

namespace FeedbackStream.Telemetry.Tests;

public sealed class TelemetryOptionsTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Fact]
    public void Defaults_ExportNothingOutOfTheProcess()
    {
        var options = TelemetryOptions.Read(Config());

        Assert.Equal("feedbackstream", options.ServiceName);
        Assert.False(options.PrometheusEnabled);
        Assert.Null(options.OtlpEndpoint);
        Assert.False(options.TracingEnabled);
        Assert.Equal(OtlpExportProtocol.Grpc, options.OtlpProtocol);
    }

    [Fact]
    public void ValidSettings_AreRead()
    {
        var options = TelemetryOptions.Read(Config(
            ("Telemetry:ServiceName", "fs-eu"),
            ("Telemetry:Prometheus:Enabled", "true"),
            ("Telemetry:Otlp:Endpoint", "http://127.0.0.1:4318"),
            ("Telemetry:Otlp:Protocol", "http/protobuf"),
            ("Telemetry:Otlp:ExportInterval", "00:00:05")));

        Assert.Equal("fs-eu", options.ServiceName);
        Assert.True(options.PrometheusEnabled);
        Assert.Equal(new Uri("http://127.0.0.1:4318"), options.OtlpEndpoint);
        Assert.True(options.TracingEnabled);
        Assert.Equal(OtlpExportProtocol.HttpProtobuf, options.OtlpProtocol);
        Assert.Equal(TimeSpan.FromSeconds(5), options.OtlpExportInterval);
    }

    [Theory]
    [InlineData("Telemetry:Prometheus:Enabled", "yes")]
    [InlineData("Telemetry:Otlp:Endpoint", "collector:4317")]
    [InlineData("Telemetry:Otlp:Endpoint", "ftp://127.0.0.1/otlp")]
    [InlineData("Telemetry:Otlp:Endpoint", "not a uri")]
    [InlineData("Telemetry:Otlp:Protocol", "udp")]
    [InlineData("Telemetry:Otlp:ExportInterval", "00:00:00.100")]
    [InlineData("Telemetry:Otlp:ExportInterval", "soon")]
    [InlineData("Telemetry:ServiceName", " ")]
    public void BadValue_FailsWithTheKeyAndTheValue(string key, string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() => TelemetryOptions.Read(Config((key, value))));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains(key == "Telemetry:ServiceName" ? "must not be empty" : $"'{value}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registration_WithABadValue_FailsAtStartNamingTheKey()
    {
        var services = new ServiceCollection();

        var error = Assert.Throws<OptionsValidationException>(() => services.AddFeedbackTelemetry(Config(("Telemetry:Prometheus:Enabled", "1")), "gateway"));

        Assert.Contains("Telemetry:Prometheus:Enabled must be true or false, not '1'", error.Message, StringComparison.Ordinal);
    }
}
