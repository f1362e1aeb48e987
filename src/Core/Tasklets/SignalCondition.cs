using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Steward.Support;

namespace Steward.Tasklets;

/// <summary>
/// <see cref="WaitFor.Signal"/>: fires when the process receives the POSIX signal, with the signal as the event. While
/// armed it handles the signal (its default action, such as terminating, is cancelled); disarmed, it unregisters.
/// </summary>
[UnsupportedOSPlatform("android")]
[UnsupportedOSPlatform("browser")]
[UnsupportedOSPlatform("ios")]
[UnsupportedOSPlatform("tvos")]
internal sealed class SignalCondition(PosixSignal signal) : WaitCondition
{
    private SignalHandlers? _registration; // loop thread only: registered while non-null

    public override string ToString() => $"WaitFor.Signal({signal})";

    protected internal override void Arm(Tasklet tasklet)
    {
        if (_registration is not null)
        {
            return;
        }

        var generation = Generation;
        _registration = SignalHandlers.Create([signal], context => FireArmed(generation, context.Signal));
    }

    protected internal override void Disarm()
    {
        _registration?.Dispose();
        _registration = null;
    }
}
