using System.Threading.Tasks.Sources;

namespace Steward.Deferred;

/// <summary>
/// A reusable, allocation-free auto-reset signal with a single waiter: the idle <c>ProcessAsync</c> loop waits on it
/// and producers set it. A <see cref="Set"/> with no waiter is remembered for the next wait.
/// </summary>
/// <remarks>
/// Continuations always run asynchronously, so a producer that sets the signal never ends up running the processing
/// loop on its own thread. The lock is taken only when the processor goes idle or is woken, never per call.
/// </remarks>
internal sealed class ProcessingSignal : IValueTaskSource
{
    private readonly Lock _lock = new();

    // Guarded by _lock: _waiting is true from an armed wait until exactly one of Set/Cancel completes it.
    private bool _set;
    private bool _waiting;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

    // Written by the waiter before it awaits, disposed by GetResult on the same logical flow.
    private CancellationTokenRegistration _registration;

    /// <summary>Wakes the waiter, or lets the next wait return at once.</summary>
    public void Set()
    {
        lock (_lock)
        {
            if (!_waiting)
            {
                _set = true;
                return;
            }

            _waiting = false;
        }

        _core.SetResult(true);
    }

    /// <summary>Waits for the next <see cref="Set"/> (or consumes one that came first). One waiter at a time.</summary>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <returns>A value task that completes when set.</returns>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_set)
            {
                _set = false;
                return default;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled(cancellationToken);
            }

            _core.Reset();
            _waiting = true;
        }

        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((ProcessingSignal)state!).Cancel(token), this);
        }

        return new ValueTask(this, _core.Version);
    }

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            _registration.Dispose();
            _registration = default;
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Cancel(CancellationToken token)
    {
        lock (_lock)
        {
            if (!_waiting)
            {
                return;
            }

            _waiting = false;
        }

        _core.SetException(new OperationCanceledException(token));
    }
}
