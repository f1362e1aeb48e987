using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Steward.Support;

namespace Steward.Tasklets;

/// <summary>
/// The built-in wait conditions. Pass them to <see cref="Tasklet.WaitAsync(WaitCondition[])"/>; keep one in a variable
/// and pass it to consecutive waits to keep it armed in between. <see cref="WaitCondition.Event"/> says what came with
/// a firing. Ported from gtasklet's <c>WaitFor*</c> classes.
/// </summary>
public static class WaitFor
{
    /// <summary>A periodic timeout: fires every <paramref name="period"/> from when it is armed; see
    /// <see cref="TimeoutCondition"/>.</summary>
    /// <param name="period">The period: positive and finite.</param>
    /// <returns>A new, unarmed timeout.</returns>
    public static TimeoutCondition Timeout(TimeSpan period) => new(period);

    /// <summary>A periodic timeout on a given clock.</summary>
    /// <param name="period">The period: positive and finite.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>A new, unarmed timeout.</returns>
    public static TimeoutCondition Timeout(TimeSpan period, TimeProvider timeProvider)
    {
        Guard.NotNull(timeProvider, "WaitFor.Timeout");
        return new TimeoutCondition(period, timeProvider);
    }

    /// <summary>Fires when no other work is ready to run on the loop. Several idle waiters take turns, one per idle
    /// moment. The event is <see langword="null"/>.</summary>
    /// <returns>A new condition.</returns>
    public static WaitCondition Idle() => new IdleCondition();

    /// <summary>Fires when <paramref name="tasklet"/> finishes; the event is its return value. On a finished tasklet it
    /// fires asynchronously, never inline.</summary>
    /// <param name="tasklet">The tasklet to wait for (not the waiting tasklet itself); it may run on another loop.</param>
    /// <returns>A new condition.</returns>
    public static WaitCondition Tasklet(Tasklet tasklet)
    {
        Guard.NotNull(tasklet, "WaitFor.Tasklet");
        return new TaskletCondition(tasklet);
    }

    /// <summary>
    /// Fires when a message arrives (or is queued) that the wait accepts; the wait then returns the
    /// <see cref="Message"/>. Each message name gets an action; a name in several lists gets the strongest (discard
    /// beats defer beats accept); a name in none gets the tasklet's <see cref="Tasklets.Tasklet.DefaultMessageAction"/>
    /// (by default discarded with a warning log). Deferred messages stay queued in arrival order for a later wait.
    /// </summary>
    /// <param name="accept">Names to receive.</param>
    /// <param name="defer">Names to keep queued.</param>
    /// <param name="discard">Names to drop silently.</param>
    /// <returns>A new condition.</returns>
    public static WaitCondition Messages(IEnumerable<string>? accept = null, IEnumerable<string>? defer = null, IEnumerable<string>? discard = null) =>
        new MessagesCondition(accept, defer, discard);

    /// <summary>Fires when <paramref name="task"/> completes, successfully or not; the event is the task. On a completed
    /// task it fires asynchronously.</summary>
    /// <param name="task">The task.</param>
    /// <returns>A new condition.</returns>
    public static WaitCondition Task(Task task)
    {
        Guard.NotNull(task, "WaitFor.Task");
        return new TaskCondition(task);
    }

    /// <summary>Fires when <paramref name="socket"/> has data to read, is at end of stream, or is in error; the event
    /// is the socket. Nothing is consumed. Readiness is checked afresh at each wait once the previous readiness
    /// fired.</summary>
    /// <param name="socket">A connected socket.</param>
    /// <returns>A new condition.</returns>
    public static WaitCondition Readable(Socket socket)
    {
        Guard.NotNull(socket, "WaitFor.Readable");
        return new ReadableCondition(socket);
    }

    /// <summary>Fires when a .NET event is raised; the event is the event arguments. The handler is subscribed while
    /// the condition is armed.</summary>
    /// <typeparam name="TArgs">The event arguments type.</typeparam>
    /// <param name="add">Subscribes the handler: <c>h => source.Changed += h</c>.</param>
    /// <param name="remove">Unsubscribes it: <c>h => source.Changed -= h</c>.</param>
    /// <returns>A new condition.</returns>
    public static WaitCondition Event<TArgs>(Action<EventHandler<TArgs>> add, Action<EventHandler<TArgs>> remove)
    {
        Guard.NotNull(add, "WaitFor.Event");
        Guard.NotNull(remove, "WaitFor.Event");
        return new EventCondition<TArgs>(add, remove);
    }

    /// <summary>Fires when <paramref name="process"/> exits; the event is its exit code. On an exited process it fires
    /// asynchronously.</summary>
    /// <param name="process">A started process.</param>
    /// <returns>A new condition.</returns>
    public static WaitCondition ProcessExit(Process process)
    {
        Guard.NotNull(process, "WaitFor.ProcessExit");
        return new ProcessExitCondition(process);
    }

    /// <summary>Fires when the process receives <paramref name="signal"/>; the event is the signal. While armed the
    /// signal is handled (its default action is cancelled); raw signal numbers can be cast to
    /// <see cref="PosixSignal"/>.</summary>
    /// <param name="signal">The signal.</param>
    /// <returns>A new condition.</returns>
    [UnsupportedOSPlatform("android")]
    [UnsupportedOSPlatform("browser")]
    [UnsupportedOSPlatform("ios")]
    [UnsupportedOSPlatform("tvos")]
    public static WaitCondition Signal(PosixSignal signal) => new SignalCondition(signal);
}
