namespace Steward.Deferred;

/// <summary>What a producer meets when a bounded <see cref="DeferredCalls{T}"/> queue is full.</summary>
public enum DeferredCallFullMode
{
    /// <summary>
    /// Back-pressure: the producer waits for room. <see cref="DeferredCalls{T}.Oneway(Action{T}, string?)"/> is
    /// synchronous, so it blocks the producer's thread; <c>SyncAsync</c> waits asynchronously. Nothing is lost.
    /// </summary>
    Wait,

    /// <summary>
    /// Rejection: <see cref="DeferredCalls{T}.Oneway(Action{T}, string?)"/> returns <see langword="false"/> (and logs
    /// a warning); <c>Sync</c>/<c>SyncAsync</c> fail with an <see cref="InvalidOperationException"/> naming the
    /// handler, the call and the capacity.
    /// </summary>
    Throw,
}
