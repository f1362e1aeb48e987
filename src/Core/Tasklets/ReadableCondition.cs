using System.Net.Sockets;

namespace Steward.Tasklets;

/// <summary>
/// <see cref="WaitFor.Readable"/>: fires when the socket has data to read, or is at end of stream or in error, with the
/// socket as the event. It waits with a zero-byte receive, which consumes nothing. One-shot per wait: a wait that
/// includes it starts a new readiness wait once the last one ended, so readiness is checked afresh at every wait.
/// </summary>
internal sealed class ReadableCondition(Socket socket) : WaitCondition
{
    // The readiness wait in flight. Set by Arm (loop thread); taken by whoever ends it first: the watch itself when the
    // receive completes (then it disposes its source), or Disarm (then Disarm cancels and disposes it).
    private CancellationTokenSource? _inFlight;

    public override string ToString() => "WaitFor.Readable(socket)";

    protected internal override void Arm(Tasklet tasklet)
    {
        if (Volatile.Read(ref _inFlight) is not null)
        {
            return;
        }

        var watch = new CancellationTokenSource();
        Volatile.Write(ref _inFlight, watch);
        _ = WatchAsync(watch, Generation);
    }

    protected internal override void Disarm()
    {
        if (Interlocked.Exchange(ref _inFlight, null) is { } watch)
        {
            watch.Cancel();
            watch.Dispose();
        }
    }

    private async Task WatchAsync(CancellationTokenSource watch, int generation)
    {
        var token = watch.Token;
        try
        {
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return; // disarmed: Disarm owns and disposed the source
        }
        catch (Exception)
        {
            // An error, a closed or an unusable socket counts as readable: the reader's next call reports it, where
            // swallowing it here would leave the tasklet waiting for ever.
        }

        if (Interlocked.CompareExchange(ref _inFlight, null, watch) == watch)
        {
            watch.Dispose();
        }

        FireArmed(generation, socket); // dropped if disarmed meanwhile
    }
}
