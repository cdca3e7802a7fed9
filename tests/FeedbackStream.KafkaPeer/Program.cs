using System.Runtime.InteropServices;
using FeedbackStream.KafkaPeer;

// A helper process for the cross-process Kafka tests. Roles:
//   host     --brokers N [--topic NAME:PARTITIONS]...       runs a mock cluster, prints its JSON announcement
//   produce  --bootstrap-servers S --topic T --count N [--first I] [--idempotent true|false] [--set k=v]...
//   consume  --bootstrap-servers S --topic T --group G [--commit-every K] [--max-rate R] [--session-timeout-ms MS] [--set k=v]...
// Every role stops when standard input closes (so it never outlives the test that started it),
// on SIGTERM/SIGINT, or after --max-lifetime-seconds (300 by default); --no-stdin-watch turns the first off.
// Output is line-based on standard output; see each role for its lines.
if (args.Length == 0)
{
    await Console.Error.WriteLineAsync("usage: FeedbackStream.KafkaPeer host|produce|consume [--name value]...");
    return 2;
}

var arguments = new PeerArguments(args.Skip(1));
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(arguments.Int("max-lifetime-seconds", 300)));
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
if (!arguments.Flag("no-stdin-watch"))
{
    _ = Task.Run(
        async () =>
        {
            try
            {
                // Reading to the end returns when the parent closes our stdin or exits.
                using var stdin = Console.OpenStandardInput();
                var buffer = new byte[256];
                while (await stdin.ReadAsync(buffer, stop.Token) > 0)
                {
                }

                await stop.CancelAsync();
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                // Stopped for another reason (or already exiting).
            }
        },
        CancellationToken.None);
}

using var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false, NewLine = "\n" };
try
{
    return args[0] switch
    {
        "host" => await PeerRoles.HostAsync(arguments, output, stop.Token),
        "produce" => await PeerRoles.ProduceAsync(arguments, output, stop.Token),
        "consume" => await PeerRoles.ConsumeAsync(arguments, output, stop.Token),
        _ => throw new ArgumentException($"Unknown role '{args[0]}'."),
    };
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
finally
{
    await stop.CancelAsync();
    await output.FlushAsync(CancellationToken.None);
}
