using System.Runtime.InteropServices;
using Steward.Testing;
using Steward.Tests.Support;

namespace Steward.Tests.RunStates;

/// <summary>CatchSignals against real signals sent to a real child process (tests/Steward.TestChild).</summary>
public class RunStateSignalTests
{
    [UnixFact]
    public async Task Sigint_cancels_the_RunState_and_dispose_restores_the_previous_handler()
    {
        await using var child = TestChildProcess.Start("catch-signals");

        await child.ExpectLineAsync("ready");
        child.Signal(PosixSignal.SIGINT);
        Assert.Equal("cancelled status=Stopping token=True", await child.ExpectLineAsync("cancelled"));

        await child.ExpectLineAsync("restored");
        child.Signal(PosixSignal.SIGINT);
        // Only the handler that was there before saw it: the RunState (running again) is not cancelled.
        Assert.Equal("previous-handler cancelled=False", await child.ExpectLineAsync("previous-handler"));

        await child.ExpectLineAsync("default");
        child.Signal(PosixSignal.SIGINT);
        Assert.Equal(128 + 2, await child.WaitForExitAsync()); // killed by SIGINT: its default action is back
    }
}
