using System.Runtime.InteropServices;

namespace Steward.Deferred;

/// <summary>
/// The fields of a <see cref="DeferredCalls{T}"/> written for every call (or every time the processor goes idle), each
/// group on a cache line of its own, away from the read-mostly fields every producer and the processor read (the phase,
/// the queue, the capacity): without the padding, each call's writes would invalidate those lines in every other core's
/// cache. (Not nested in the generic
/// class: generic types cannot have an explicit layout.)
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 3 * Padding)]
internal struct DeferredHotFields
{
    private const int Padding = 128; // two 64-byte lines: adjacent-line prefetching pairs them on x64

    /// <summary>The running call's name, for the drain-deadline log; the processor's.</summary>
    [FieldOffset(Padding)]
    public string? RunningName;

    /// <summary>The flow marker of the running asynchronous call, finished when it ends; the processor's.</summary>
    [FieldOffset(Padding + 8)]
    public DeferredFlowMarker? RunningMarker;

    /// <summary>The sync call the processor is about to run or running (an <c>IQueuedCall</c>); written by the processor,
    /// read by the closer at the drain deadline.</summary>
    [FieldOffset(Padding + 16)]
    public object? RunningSync;

    /// <summary>When the running call started (a <c>Stopwatch</c> timestamp), while its duration is recorded; 0 otherwise.
    /// The processor's.</summary>
    [FieldOffset(Padding + 24)]
    public long CallStarted;

    /// <summary>1 while the idle processing loop is about to wait or waiting; written by the processor and by the producer
    /// that wakes it, so on a line of its own, away from the fields both only read.</summary>
    [FieldOffset(2 * Padding)]
    public int Sleeping;
}

/// <summary>
/// Marks an asynchronous deferred call's async flow as "inside the call" (for inline sync calls); set around the call's
/// invocation so its continuations inherit it, and finished when the call ends so work it left behind does not count.
/// </summary>
internal sealed class DeferredFlowMarker(object owner)
{
    private volatile bool _finished;

    /// <summary>The handler whose call this is.</summary>
    public object Owner { get; } = owner;

    /// <summary>True once the call ended.</summary>
    public bool Finished => _finished;

    /// <summary>Marks the call as ended.</summary>
    public void Finish() => _finished = true;
}

/// <summary>
/// A queued call: an <see cref="Action{T}"/> or a <see cref="Func{T, CancellationToken, ValueTask}"/> (oneway), or a
/// queued sync call, as <see cref="Kind"/> says. A struct, so queuing a oneway allocates nothing; not generic, so the
/// queue's code is not shared generic code with run-time type lookups.
/// </summary>
internal readonly struct DeferredEntry(object work, string name, byte kind, bool holdsSlot)
{
    /// <summary>Work is an <c>Action&lt;T&gt;</c>.</summary>
    public const byte OnewayKind = 0;

    /// <summary>Work is a <c>Func&lt;T, CancellationToken, ValueTask&gt;</c>.</summary>
    public const byte OnewayAsyncKind = 1;

    /// <summary>Work is a queued sync call whose delegate is synchronous.</summary>
    public const byte SyncKind = 2;

    /// <summary>Work is a queued sync call whose delegate is asynchronous (its continuations need the flow marker).</summary>
    public const byte SyncAsyncKind = 3;

    /// <summary>The delegate or the queued sync call.</summary>
    public readonly object Work = work;

    /// <summary>The call's name.</summary>
    public readonly string Name = name;

    /// <summary>What <see cref="Work"/> is.</summary>
    public readonly byte Kind = kind;

    /// <summary>True if the call took one unit of capacity, given back when it is taken or abandoned.</summary>
    public readonly bool HoldsSlot = holdsSlot;

    /// <summary>True for a queued sync call.</summary>
    public bool IsSync => Kind >= SyncKind;
}

/// <summary>
/// Which handler's call is running here, for the inline-call test. Outside the generic class so that the thread-static
/// access is not shared generic code.
/// </summary>
internal static class DeferredCallContext
{
    /// <summary>
    /// The handler whose calls run on this thread now: set around each batch of calls a pass runs synchronously (see
    /// <c>RunBatch</c>) and restored before anything is awaited, so it is never stale. Thread-static, so no allocation
    /// per call.
    /// </summary>
    [ThreadStatic]
    public static object? Owner;

    /// <summary>
    /// The same marker for asynchronous calls, whose continuations run on other threads: set only around their
    /// invocation (so it flows into them) and finished when the call ends (so work it left behind is not "inside" it).
    /// </summary>
    public static readonly AsyncLocal<DeferredFlowMarker?> Flow = new();
}
