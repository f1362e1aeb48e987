using System.Runtime.InteropServices;

namespace Steward.Hosting;

/// <summary>A signal as logs show it: by its conventional name ("SIGUSR1"), formatted only when a log is written.</summary>
/// <param name="Signal">The signal.</param>
internal readonly record struct SignalName(PosixSignal Signal)
{
    public override string ToString() => SignalNames.Name(Signal);
}
