using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Steward.Support;

namespace Steward.Nurseries;

// TaskNursery: shutdown handling for console apps without the Generic Host.
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
    public static IDisposable AddShutdownHandling() =>
        SignalHandlers.Create([PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP], OnShutdownSignal);

    private static void OnShutdownSignal(PosixSignalContext context)
    {
        // Handled: the nurseries close and the program ends on its own.
        foreach (var nursery in s_registry.Snapshot().Values)
        {
            nursery.Cancel();
        }
    }
}
