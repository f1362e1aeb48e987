using System.Runtime.ExceptionServices;
using Steward.Support;

namespace Steward;

// RunState: running a body as this RunState's work (RunAsync, which rethrows; RunToEndAsync, which reports).
public partial class RunState
{
    /// <summary>
    /// Runs <paramref name="body"/> as this RunState's work: <see cref="Start"/>, then the body with this RunState
    /// as <see cref="Current"/>, then <see cref="Stop()"/>. If the body throws (cancellation included), the RunState is
    /// cancelled, then stopped, and the exception is rethrown.
    /// </summary>
    /// <param name="body">The work.</param>
    /// <returns>A task that completes when the body has completed and the RunState has stopped.</returns>
    /// <exception cref="InvalidRunStateTransitionException">Already running.</exception>
    /// <exception cref="AggregateException">The body failed and so did a <see cref="Cancelled"/>, <see cref="Stopped"/> or
    /// <see cref="StateChanged"/> handler: both failures.</exception>
    public async Task RunAsync(Func<RunState, Task> body)
    {
        Guard.NotNull(body, "RunState", Name);
        var (work, _, handlerFailure) = await RunCoreAsync(body).ConfigureAwait(false);
        if (work.IsCompletedSuccessfully)
        {
            if (handlerFailure is not null)
            {
                ExceptionDispatchInfo.Throw(handlerFailure);
            }

            return;
        }

        try
        {
            await work.ConfigureAwait(false); // rethrows the body's own exception, cancellation included
        }
        catch (Exception bodyError) when (handlerFailure is not null)
        {
            throw new AggregateException($"RunState '{Name}': the body failed, and so did an event handler.", bodyError, handlerFailure);
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> as <see cref="RunAsync"/> does (start, <see cref="Current"/>, cancel on failure,
    /// stop), but reports how it ended instead of throwing: for a supervisor that runs the same work again and again.
    /// </summary>
    /// <param name="body">The work. A body that throws synchronously or returns a <see langword="null"/> task has failed.</param>
    /// <returns>How the run ended: <see cref="RunOutcome.Failure"/> is <see langword="null"/> when the body returned or
    /// ended by this RunState's cancellation (an <see cref="OperationCanceledException"/> while <see cref="IsCancelled"/>),
    /// which is not fetched, so a host stop that ends thousands of runs pays no stack trace for each.</returns>
    /// <exception cref="InvalidRunStateTransitionException">Already running (thrown, as nothing has run).</exception>
    public async Task<RunOutcome> RunToEndAsync(Func<RunState, Task> body)
    {
        Guard.NotNull(body, "RunState", Name);
        var (_, failure, handlerFailure) = await RunCoreAsync(body).ConfigureAwait(false);
        return failure is null && handlerFailure is null ? RunOutcome.Success : new RunOutcome(failure, handlerFailure);
    }

    /// <summary>
    /// The one core behind <see cref="RunAsync"/> and <see cref="RunToEndAsync"/>: never throws once started. Returns the
    /// body's task (completed), the body's failure (null for success or cancellation through this RunState) and the
    /// first failure of an event handler raised by the cancel or the stop.
    /// </summary>
    private async Task<(Task Work, Exception? Failure, Exception? HandlerFailure)> RunCoreAsync(Func<RunState, Task> body)
    {
        Start();

        // Set inside this async method, so the change is undone for the caller when the method returns.
        s_current.Value = this;
        Task work;
        try
        {
            work = body(this) ?? Task.FromException(new InvalidOperationException($"RunState '{Name}': the body returned a null Task."));
        }
        catch (Exception ex)
        {
            work = Task.FromException(ex); // a body that throws before its first await has failed like any other
        }

        await work.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Exception? handlerFailure = null;
        Exception? failure = null;
        if (!work.IsCompletedSuccessfully)
        {
            failure = await FailureOfAsync(work).ConfigureAwait(false);
            try
            {
                Cancel(); // a run that threw is cancelled before it is stopped (idempotent if it was cancelled already)
            }
            catch (Exception ex)
            {
                handlerFailure = ex;
            }
        }

        try
        {
            Stop(notRunningOk: true); // the body may have stopped it already
        }
        catch (Exception ex)
        {
            handlerFailure ??= ex;
        }

        return (work, failure, handlerFailure);
    }

    /// <summary>How <paramref name="work"/> (completed, not successfully) ended: null for a cancellation through this
    /// RunState, else its exception.</summary>
    private async ValueTask<Exception?> FailureOfAsync(Task work)
    {
        if (work.IsFaulted)
        {
            var error = work.Exception!.InnerExceptions.Count == 1 ? work.Exception.InnerException! : work.Exception;
            return error is OperationCanceledException && IsCancelled ? null : error;
        }

        // Canceled: the normal way out when this RunState was cancelled. Otherwise (some other token) it is a failure,
        // and only then is the exception fetched, by the one await that rethrows it.
        if (IsCancelled)
        {
            return null;
        }

        try
        {
            await work.ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException ex)
        {
            return ex;
        }
    }
}
