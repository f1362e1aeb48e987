using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Steward.Support;

namespace Steward;

public partial class RunState
{
    private static readonly AsyncLocal<RunState?> s_current = new();

    /// <summary>
    /// The ambient RunState of this async flow: set inside <see cref="RunAsync"/> and <see cref="Enter"/>,
    /// <see langword="null"/> outside them.
    /// </summary>
    public static RunState? Current => s_current.Value;

    /// <summary>Makes <paramref name="runState"/> the ambient one for the rest of the calling async method.</summary>
    internal static void SetCurrent(RunState? runState) => s_current.Value = runState;

    /// <summary>
    /// The ambient <see cref="Current"/> RunState, or a new Idle one named after the caller
    /// (cs.resources' <c>@uses_runstate</c>).
    /// </summary>
    /// <param name="name">The name for a new RunState; the calling member by default.</param>
    /// <returns><see cref="Current"/>, or a new RunState.</returns>
    public static RunState CurrentOrNew([CallerMemberName] string name = "") => s_current.Value ?? new RunState(name);

    /// <summary>
    /// Runs <paramref name="body"/> as this RunState's work: <see cref="Start"/>, then the body with this RunState
    /// as <see cref="Current"/>, then <see cref="Stop"/>. If the body throws (cancellation included), the RunState is
    /// cancelled, then stopped, and the exception is rethrown.
    /// </summary>
    /// <param name="body">The work.</param>
    /// <returns>A task that completes when the body has completed and the RunState has stopped.</returns>
    /// <exception cref="InvalidRunStateTransitionException">Already running.</exception>
    public async Task RunAsync(Func<RunState, Task> body)
    {
        Guard.NotNull(body, "RunState", Name);
        Start();

        // Set inside this async method, so the change is undone for the caller when the method returns.
        s_current.Value = this;
        try
        {
            await body(this).ConfigureAwait(false);
        }
        catch (Exception bodyError)
        {
            Exception? cleanupError = null;
            try
            {
                Cancel();
            }
            catch (Exception ex)
            {
                cleanupError = ex;
            }

            try
            {
                StopCore(throwIfNotRunning: false);
            }
            catch (Exception ex)
            {
                cleanupError ??= ex;
            }

            if (cleanupError is null)
            {
                throw;
            }

            throw new AggregateException($"RunState '{Name}': the body failed, and so did an event handler.", bodyError, cleanupError);
        }

        StopCore(throwIfNotRunning: false); // the body may have stopped it already
    }

    /// <summary>
    /// Enters this RunState for a <c>using</c> block: starts it unless it is already running and makes it
    /// <see cref="Current"/>. Disposing the result restores the previous <see cref="Current"/> and stops the
    /// RunState if this call started it. Dispose is idempotent.
    /// </summary>
    /// <remarks>Unlike cs.resources' <c>__exit__</c>, a <c>using</c> block cannot see an exception, so it does
    /// not cancel on one; use <see cref="RunAsync"/> for that.</remarks>
    /// <returns>The scope to dispose.</returns>
    public IDisposable Enter()
    {
        var started = StartCore(runningOk: true);
        var previous = s_current.Value;

        // Enter is not async, so this change stays in the caller's flow until the scope is disposed.
        s_current.Value = this;
        return new EnterScope(this, previous, started);
    }

    /// <summary>
    /// Cancels this RunState when one of <paramref name="signals"/> arrives, instead of the signal's default
    /// action (cs.resources' <c>catch_signal</c>). Disposing the result removes the handlers, restoring what
    /// was there before. With no signals given, SIGINT and SIGTERM are caught.
    /// </summary>
    /// <remarks>The handler runs on the runtime's signal thread; an exception from a <see cref="Cancelled"/>
    /// handler there is unhandled.</remarks>
    /// <param name="signals">The signals to catch.</param>
    /// <returns>The registration to dispose.</returns>
    /// <exception cref="PlatformNotSupportedException">A signal is not supported on this platform.</exception>
    [UnsupportedOSPlatform("browser")]
    [UnsupportedOSPlatform("ios")]
    [UnsupportedOSPlatform("tvos")]
    public IDisposable CatchSignals(params PosixSignal[] signals)
    {
        Guard.NotNull(signals, "RunState", Name);
        if (signals.Length == 0)
        {
            signals = [PosixSignal.SIGINT, PosixSignal.SIGTERM];
        }

        var registrations = new PosixSignalRegistration[signals.Length];
        try
        {
            for (var i = 0; i < signals.Length; i++)
            {
                registrations[i] = PosixSignalRegistration.Create(signals[i], OnSignal);
            }
        }
        catch
        {
            foreach (var registration in registrations)
            {
                registration?.Dispose();
            }

            throw;
        }

        return new SignalScope(registrations);
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // handled: no default termination
        Cancel();
    }

    private sealed class EnterScope(RunState owner, RunState? previous, bool started) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            s_current.Value = previous;
            if (started)
            {
                owner.StopCore(throwIfNotRunning: false);
            }
        }
    }

    private sealed class SignalScope(PosixSignalRegistration[] registrations) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }
}
