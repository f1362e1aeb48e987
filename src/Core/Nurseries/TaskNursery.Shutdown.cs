using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Steward.Nurseries;

public sealed partial class TaskNursery
{
    /// <summary>
    /// For console apps without the Generic Host: SIGINT, SIGTERM and SIGHUP close every registered nursery (their
    /// children are cancelled and their resources unwound) instead of killing the process, so a <c>Main</c> that awaits
    /// its nursery returns normally. Dispose the result to restore the previous handling.
    /// </summary>
    /// <returns>The registration to dispose.</returns>
    [UnsupportedOSPlatform("browser")]
    [UnsupportedOSPlatform("ios")]
    [UnsupportedOSPlatform("tvos")]
    public static IDisposable AddShutdownHandling()
    {
        PosixSignal[] signals = [PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP];
        var registrations = new List<PosixSignalRegistration>(signals.Length);
        try
        {
            foreach (var signal in signals)
            {
                registrations.Add(PosixSignalRegistration.Create(signal, OnShutdownSignal));
            }
        }
        catch
        {
            registrations.ForEach(r => r.Dispose());
            throw;
        }

        return new ShutdownHandling(registrations);
    }

    private static void OnShutdownSignal(PosixSignalContext context)
    {
        context.Cancel = true; // handled: the nurseries close and the program ends on its own
        foreach (var nursery in s_registry.Snapshot().Values)
        {
            nursery.Cancel();
        }
    }

    private sealed class ShutdownHandling(List<PosixSignalRegistration> registrations) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                registrations.ForEach(r => r.Dispose());
            }
        }
    }
}
