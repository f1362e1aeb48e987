namespace Steward.Deferred;

/// <summary>Options of a <see cref="DeferredCalls{T}"/> queue.</summary>
public sealed class DeferredCallOptions
{
    /// <summary>The default <see cref="DrainTimeout"/>: five seconds.</summary>
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The most calls that may wait in the queue; <c>0</c> (the default) means unbounded. A call stops counting when
    /// it is taken to run, or when a <c>Sync</c> call is abandoned by its timeout or token.
    /// </summary>
    public int Capacity { get; set; }

    /// <summary>What a producer meets when the queue is full (only with a <see cref="Capacity"/>): wait for room
    /// (the default) or be rejected.</summary>
    public DeferredCallFullMode FullMode { get; set; } = DeferredCallFullMode.Wait;

    /// <summary>
    /// How long <see cref="DeferredCalls{T}.DisposeAsync"/> lets pending calls run before it gives up on them: then the
    /// running call's token is cancelled, the waiting <c>Sync</c> callers get <see cref="ClosedException"/> and the
    /// oneways left are counted and logged. Defaults to <see cref="DefaultDrainTimeout"/>; <see cref="TimeSpan.Zero"/>
    /// drops everything pending at once.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = DefaultDrainTimeout;

    /// <summary>A name for messages and logs; defaults to the target type's name.</summary>
    public string? Name { get; set; }

    /// <summary>The clock for <c>Sync</c> timeouts and the drain deadline; defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }
}
