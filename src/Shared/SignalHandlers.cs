using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Steward.Support;

/// <summary>
/// The one way Steward handles POSIX signals (compiled into each Steward assembly that needs it, from src/Shared): a set
/// of <see cref="PosixSignalRegistration"/>s that handle their signal (its default action, such as terminating, is
/// cancelled before the handler runs) and are disposed together, once.
/// </summary>
/// <remarks>
/// Handlers run on the runtime's signal-handling thread: they must return promptly and must not block on what the
/// process is doing (in particular they must not call <see cref="Environment.Exit"/> themselves; see
/// <see cref="ExitSoon"/>). A handler that throws is the caller's to guard.
/// </remarks>
[UnsupportedOSPlatform("browser")]
[UnsupportedOSPlatform("ios")]
[UnsupportedOSPlatform("tvos")]
internal sealed class SignalHandlers : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _disposed;

    /// <summary>Whether POSIX signals can be handled here at all (not in a browser, on iOS, tvOS or WASI).</summary>
    [UnsupportedOSPlatformGuard("browser")]
    [UnsupportedOSPlatformGuard("ios")]
    [UnsupportedOSPlatformGuard("tvos")]
    public static bool IsSupported =>
        !(OperatingSystem.IsBrowser() || OperatingSystem.IsIOS() || OperatingSystem.IsTvOS() || OperatingSystem.IsWasi());

    /// <summary>Handles every one of <paramref name="signals"/> with <paramref name="handler"/>; all or none: if one
    /// cannot be registered, those registered are removed again and the exception is thrown.</summary>
    public static SignalHandlers Create(IReadOnlyList<PosixSignal> signals, Action<PosixSignalContext> handler)
    {
        var handlers = new SignalHandlers();
        try
        {
            foreach (var signal in signals)
            {
                handlers.Add(signal, handler);
            }
        }
        catch
        {
            handlers.Dispose();
            throw;
        }

        return handlers;
    }

    /// <summary>Handles <paramref name="signal"/> with <paramref name="handler"/>.</summary>
    /// <exception cref="PlatformNotSupportedException">The platform cannot deliver it.</exception>
    public void Add(PosixSignal signal, Action<PosixSignalContext> handler)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var registration = PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true; // handled: no default action
            handler(context);
        });
        lock (_registrations)
        {
            _registrations.Add(registration);
        }
    }

    /// <summary>Handles <paramref name="signal"/> if the platform can deliver it: <see langword="null"/> when registered,
    /// otherwise why not.</summary>
    public string? TryAdd(PosixSignal signal, Action<PosixSignalContext> handler)
    {
        try
        {
            Add(signal, handler);
            return null;
        }
        catch (Exception ex) when (ex is PlatformNotSupportedException or IOException or ArgumentOutOfRangeException)
        {
            return ex.Message;
        }
    }

    /// <summary>
    /// Exits the process with <paramref name="exitCode"/> from a thread of its own, so that a signal handler can ask for
    /// an exit without running it in the handler's frame (where <see cref="Environment.Exit"/>'s shutdown would wait on
    /// the very signal thread it runs on).
    /// </summary>
    public static void ExitSoon(int exitCode)
    {
        var exit = new Thread(static code => Environment.Exit((int)code!)) { IsBackground = true, Name = "Steward exit" };
        exit.Start(exitCode);
    }

    /// <summary>Removes every handler, restoring the signals' previous handling. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (_registrations)
        {
            _registrations.ForEach(r => r.Dispose());
            _registrations.Clear();
        }
    }
}
