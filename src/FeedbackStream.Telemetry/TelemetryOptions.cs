using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;

namespace FeedbackStream.Telemetry;

/// <summary>
/// The <c>Telemetry</c> section. Nothing leaves the process unless configured: the Prometheus endpoint is opt-in and
/// OTLP exports only to an endpoint that is set (there is no default one).
/// </summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    public const string DefaultServiceName = "feedbackstream";

    /// <summary>The path of the Prometheus scrape endpoint.</summary>
    public const string PrometheusPath = "/metrics";

    /// <summary><c>Telemetry:ServiceName</c>: the OpenTelemetry <c>service.name</c> of every metric and span.</summary>
    public string ServiceName { get; init; } = DefaultServiceName;

    /// <summary><c>Telemetry:Prometheus:Enabled</c>: serve <c>/metrics</c> in Prometheus text format on the process's HTTP address.</summary>
    public bool PrometheusEnabled { get; init; }

    /// <summary><c>Telemetry:Otlp:Endpoint</c>: when set, metrics and traces are exported over OTLP to it.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary><c>Telemetry:Otlp:Protocol</c>: <c>grpc</c> (default) or <c>http/protobuf</c>.</summary>
    public OtlpExportProtocol OtlpProtocol { get; init; } = OtlpExportProtocol.Grpc;

    /// <summary><c>Telemetry:Otlp:ExportInterval</c>: how often metrics are pushed over OTLP (default 15 s).</summary>
    public TimeSpan OtlpExportInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Whether spans are recorded and exported (they are only when an OTLP endpoint is set).</summary>
    public bool TracingEnabled => OtlpEndpoint is not null;

    /// <summary>
    /// Reads and checks the section; a bad value throws <see cref="OptionsValidationException"/> whose message names
    /// the key, the value and what is allowed.
    /// </summary>
    public static TelemetryOptions Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        var failures = new List<string>();

        var serviceName = section["ServiceName"];
        if (serviceName is not null && string.IsNullOrWhiteSpace(serviceName))
        {
            failures.Add("Telemetry:ServiceName must not be empty (default 'feedbackstream').");
        }

        var prometheus = false;
        if (section["Prometheus:Enabled"] is { Length: > 0 } enabled && !bool.TryParse(enabled, out prometheus))
        {
            failures.Add($"Telemetry:Prometheus:Enabled must be true or false, not '{enabled}'.");
        }

        Uri? endpoint = null;
        if (section["Otlp:Endpoint"] is { Length: > 0 } text)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
            {
                failures.Add($"Telemetry:Otlp:Endpoint must be an absolute http or https URI such as http://127.0.0.1:4317, not '{text}'.");
                endpoint = null;
            }
        }

        var protocol = OtlpExportProtocol.Grpc;
        switch (section["Otlp:Protocol"])
        {
            case null or "" or "grpc":
                break;
            case "http/protobuf":
                protocol = OtlpExportProtocol.HttpProtobuf;
                break;
            case { } other:
                failures.Add($"Telemetry:Otlp:Protocol must be grpc or http/protobuf, not '{other}'.");
                break;
        }

        var interval = TimeSpan.FromSeconds(15);
        if (section["Otlp:ExportInterval"] is { Length: > 0 } intervalText
            && (!TimeSpan.TryParse(intervalText, CultureInfo.InvariantCulture, out interval) || interval < TimeSpan.FromSeconds(1) || interval > TimeSpan.FromHours(1)))
        {
            failures.Add($"Telemetry:Otlp:ExportInterval must be a time span between 00:00:01 and 01:00:00, not '{intervalText}'.");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(SectionName, typeof(TelemetryOptions), failures);
        }

        return new TelemetryOptions
        {
            ServiceName = serviceName ?? DefaultServiceName,
            PrometheusEnabled = prometheus,
            OtlpEndpoint = endpoint,
            OtlpProtocol = protocol,
            OtlpExportInterval = interval,
        };
    }
}
