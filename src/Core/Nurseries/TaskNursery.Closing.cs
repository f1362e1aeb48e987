using System.Diagnostics;
using Steward.Coordination;

namespace Steward.Nurseries;

// TaskNursery: closing (cancel the children, await them, unwind the exits) and waiting for the children.
public partial class TaskNursery
{
    /// <summary>Begins closing (see the remarks) and returns at once, without waiting for it; idempotent.</summary>
    public void Cancel() => _ = BeginClose();

    /// <summary>
    /// Closes the nursery (see the remarks) and waits until it is closed: no child is running when this returns.
    /// </summary>
    /// <param name="cancellationToken">Means "no longer graceful", as the token of <c>IHostedService.StopAsync</c> does:
    /// if it is cancelled before the children have ended, the close is abandoned. <see cref="Completion"/> (and every
    /// later close or dispose) then completes at once and quietly, the children still running are left to end, or not,
    /// on their own (their resources are unwound if they do), and this throws <see cref="OperationCanceledException"/>.
    /// For a host whose shutdown timeout has expired.</param>
    /// <returns>A task that completes when the nursery is closed.</returns>
    /// <exception cref="AggregateException">Children failed (under CancelAll), or unwinding a resource failed; it holds
    /// those exceptions and none of the cancellations the close caused.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first: the close was
    /// abandoned.</exception>
    public async ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        var closed = BeginClose();
        if (cancellationToken.CanBeCanceled && !closed.IsCompleted)
        {
            await closed.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!closed.IsCompleted)
            {
                Abandon();
                throw new OperationCanceledException(
                    $"TaskNursery '{Name}': the close was abandoned with {_children.Running} child(ren) still running.", cancellationToken);
            }
        }

        await closed.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (closed.Exception is { } failures)
        {
            _failuresThrown = true;
            throw failures;
        }
    }

    /// <summary>
    /// Closes the nursery like <see cref="CloseAsync"/>, so <c>await using</c> closes it at the end of the block and
    /// throws its failures there. Once the failures have been thrown by a close, later disposals (a DI container's, say)
    /// return quietly.
    /// </summary>
    /// <returns>A task that completes when the nursery is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        var closed = BeginClose();
        await closed.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (closed.Exception is { } failures && !_failuresThrown)
        {
            _failuresThrown = true;
            throw failures;
        }
    }

    /// <summary>
    /// Gives up waiting for a close that has overrun its budget: <see cref="Completion"/> (and so
    /// <see cref="CloseAsync(CancellationToken)"/> and <see cref="DisposeAsync"/>) completes now, while the children still running are left
    /// to end, or not, and the entered resources are unwound if they do. For a host whose shutdown timeout has expired;
    /// does nothing unless a close has begun.
    /// </summary>
    private void Abandon()
    {
        lock (_lock)
        {
            if (!_closing)
            {
                return;
            }
        }

        _failuresThrown = true; // the abandoning host has reported the failures it saw; a later disposal stays quiet
        _completion.TrySetResult();
    }

    /// <summary>Waits until the children running now have ended, without cancelling them and without rethrowing their
    /// failures (the policy handles those).</summary>
    /// <param name="cancellationToken">Cancels the wait (not the children).</param>
    /// <returns>A task that completes when they have ended.</returns>
    public async Task WhenAllAsync(CancellationToken cancellationToken = default)
    {
        var running = _children.Snapshot().Select(c => c.Task).ToArray();

        await Task.WhenAll(running).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Starts the close once; every later call returns the same completion.</summary>
    private Task BeginClose()
    {
        lock (_lock)
        {
            Debug.Assert(!_closing || _drained is not null, "_drained is created before _closing is set");
            if (_closing)
            {
                return _completion.Task;
            }

            _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _closing = true;
        }

        // Every shard is locked in turn: launches in progress finish first, later ones see _closing and refuse.
        var running = _children.Snapshot();

        // Cancellation callbacks are user code: run them outside the lock, and keep their failures.
        List<Exception>? errors = null;
        CancelSafely(_cancellation, ref errors);
        foreach (var child in running)
        {
            CancelSafely(child.Cancellation, ref errors);
        }

        if (errors is not null)
        {
            lock (_failuresLock)
            {
                (_failures ??= []).AddRange(errors);
            }
        }

        if (_children.Running == 0)
        {
            _drained.TrySetResult(); // no child was left to complete it
        }

        _ = FinishCloseAsync();
        return _completion.Task;
    }

    private async Task FinishCloseAsync()
    {
        await _drained!.Task.ConfigureAwait(false);
        Debug.Assert(_closing && _children.Running == 0, "drained: closing, and no child runs (none can start once closing)");

        // Every child has ended: unwind what was entered, last in first out.
        AsyncExitStack exits;
        lock (_lock)
        {
            exits = _exits;
        }

        List<Exception>? errors = null;
        try
        {
            await exits.DisposeAsync().ConfigureAwait(false);
        }
        catch (AggregateException ex)
        {
            errors = [.. ex.InnerExceptions];
        }
        catch (Exception ex)
        {
            errors = [ex];
        }

        _outerCancellation.Unregister();
        s_registry.Unregister(Name, this);

        List<Exception>? failures;
        lock (_failuresLock)
        {
            if (errors is not null)
            {
                (_failures ??= []).AddRange(errors);
            }

            failures = _failures is null ? null : [.. _failures];
        }

        if (failures is { Count: > 0 })
        {
            NurseryLog.ClosedWithFailures(_logger, Name, failures.Count);
            _completion.TrySetException(failures);
        }
        else
        {
            _completion.TrySetResult();
        }
    }

    private static void CancelSafely(CancellationTokenSource source, ref List<Exception>? errors)
    {
        try
        {
            source.Cancel();
        }
        catch (AggregateException ex)
        {
            (errors ??= []).AddRange(ex.InnerExceptions);
        }
    }
}
