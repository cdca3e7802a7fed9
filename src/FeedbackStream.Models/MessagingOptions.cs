using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FeedbackStream.Models;

/// <summary>Which MassTransit transport carries the retraining jobs, cancellations and promotions.</summary>
public enum MessagingTransport
{
    /// <summary>MassTransit's in-memory bus: one process is the whole control plane (the embedded default).</summary>
    InMemory,

    /// <summary>A RabbitMQ broker shared by every process: gateways, trainers and scorers form one control plane.</summary>
    RabbitMq,
}

/// <summary>
/// The <c>Messaging</c> section. The broker's address and credentials come from the configuration chain (environment
/// variables such as <c>FEEDBACKSTREAM_Messaging__RabbitMq__Password</c>, or <c>--Messaging:RabbitMq:Password=...</c>);
/// nothing secret belongs in a settings file.
/// </summary>
public sealed class MessagingOptions
{
    public const string SectionName = "Messaging";

    public MessagingTransport Transport { get; init; } = MessagingTransport.InMemory;

    public string RabbitMqHost { get; init; } = "";

    public int RabbitMqPort { get; init; } = 5672;

    public string RabbitMqVirtualHost { get; init; } = "/";

    public string RabbitMqUsername { get; init; } = "";

    public string RabbitMqPassword { get; init; } = "";

    /// <summary>
    /// Longest wait for the bus to take a job, a cancellation or a promotion (<c>Messaging:SendTimeout</c>): with the
    /// broker unreachable, a caller gets a clear 503 after this long instead of waiting for the broker's return.
    /// </summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>AMQP heartbeat: how soon the broker notices a process that died (and requeues what it held).</summary>
    public TimeSpan RabbitMqHeartbeat { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Reads and checks the section; a bad value throws <see cref="OptionsValidationException"/> whose message names
    /// every offending key and why.
    /// </summary>
    public static MessagingOptions Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        var failures = new List<string>();
        var transportText = section["Transport"];
        var transport = MessagingTransport.InMemory;
        if (!string.IsNullOrWhiteSpace(transportText) && !Enum.TryParse(transportText.Trim(), ignoreCase: true, out transport))
        {
            failures.Add($"Messaging:Transport '{transportText}' is not a transport: use InMemory (one process, the default) or RabbitMq (several processes sharing a broker).");
        }

        var rabbit = section.GetSection("RabbitMq");
        var port = 5672;
        if (rabbit["Port"] is { Length: > 0 } portText && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            failures.Add($"Messaging:RabbitMq:Port '{portText}' must be a TCP port (1-65535).");
        }

        var heartbeat = TimeSpan.FromSeconds(10);
        if (rabbit["HeartbeatInterval"] is { Length: > 0 } beatText && (!TimeSpan.TryParse(beatText, CultureInfo.InvariantCulture, out heartbeat) || heartbeat < TimeSpan.FromSeconds(1) || heartbeat > TimeSpan.FromMinutes(10)))
        {
            failures.Add($"Messaging:RabbitMq:HeartbeatInterval '{beatText}' must be a time span between 00:00:01 and 00:10:00.");
        }

        var sendTimeout = TimeSpan.FromSeconds(10);
        if (section["SendTimeout"] is { Length: > 0 } sendText && (!TimeSpan.TryParse(sendText, CultureInfo.InvariantCulture, out sendTimeout) || sendTimeout < TimeSpan.FromMilliseconds(100) || sendTimeout > TimeSpan.FromMinutes(5)))
        {
            failures.Add($"Messaging:SendTimeout '{sendText}' must be a time span between 00:00:00.1 and 00:05:00.");
        }

        var options = new MessagingOptions
        {
            SendTimeout = sendTimeout,
            Transport = transport,
            RabbitMqHost = rabbit["Host"]?.Trim() ?? "",
            RabbitMqPort = port,
            RabbitMqVirtualHost = rabbit["VirtualHost"] is { Length: > 0 } vhost ? vhost : "/",
            RabbitMqUsername = rabbit["Username"] ?? "",
            RabbitMqPassword = rabbit["Password"] ?? "",
            RabbitMqHeartbeat = heartbeat,
        };
        if (options.Transport == MessagingTransport.RabbitMq)
        {
            if (options.RabbitMqHost.Length == 0)
            {
                failures.Add("Messaging:RabbitMq:Host is required when Messaging:Transport is RabbitMq (the broker's host name or address).");
            }

            if (options.RabbitMqUsername.Length == 0)
            {
                failures.Add("Messaging:RabbitMq:Username is required when Messaging:Transport is RabbitMq.");
            }

            if (options.RabbitMqPassword.Length == 0)
            {
                failures.Add("Messaging:RabbitMq:Password is required when Messaging:Transport is RabbitMq; set it from the environment " +
                             "(FEEDBACKSTREAM_Messaging__RabbitMq__Password) or the command line, never in a settings file.");
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(SectionName, typeof(MessagingOptions), failures);
        }

        return options;
    }
}
