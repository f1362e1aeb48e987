using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Steward.Support;

namespace Steward;

public partial class RunState
{
    private static readonly AsyncLocal<RunState?> s_current = new();

    /// <summary>
    /// The ambient RunState of this async flow: set inside <see cref="RunAsync"/>, <see cref="RunToEndAsync"/> and
    /// <see cref="Enter"/>,
    /// <see langword="null"/> outside them.
    /// </summary>
    public static RunState? Current => s_current.Value;

    /// <summary>
    /// The ambient <see cref="Current"/> RunState, or a new Idle one named after the caller.
    /// </summary>
    /// <param name="name">The name for a new RunState; the calling member by default.</param>
    /// <returns><see cref="Current"/>, or a new RunState.</returns>
    public static RunState CurrentOrNew([CallerMemberName] string name = "") => s_current.Value ?? new RunState(name);

    /// <summary>
    /// Enters this RunState for a <c>using</c> block: starts it unless it is already running and makes it
    /// <see cref="Current"/>. Disposing the result restores the previous <see cref="Current"/> and stops the
    /// RunState if this call started it. Dispose is idempotent.
    /// </summary>
    /// <remarks>A <c>using</c> block cannot see an exception, so the scope does not cancel this RunState on one; use
    /// <see cref="RunAsync"/> for that.</remarks>
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
    /// Cancels this RunState when one of <paramref name="signals"/> arrives, instead of the signal's default action.
    /// Disposing the result removes the handlers, restoring what was there before. With no signals given, SIGINT and
    /// SIGTERM are caught.
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

        return SignalHandlers.Create(signals, _ => Cancel()); // handled: no default termination
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
                owner.Stop(notRunningOk: true);
            }
        }
    }
}
