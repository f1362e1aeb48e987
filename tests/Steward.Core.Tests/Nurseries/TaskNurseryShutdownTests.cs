using System.Runtime.InteropServices;
using Steward.Testing;
using Steward.Tests.Support;

namespace Steward.Tests.Nurseries;

/// <summary>TaskNursery.AddShutdownHandling against a real SIGTERM sent to a real child process.</summary>
public class TaskNurseryShutdownTests
{
    [UnixFact]
    public async Task Sigterm_closes_every_registered_nursery_and_the_process_exits_0()
    {
        await using var child = TestChildProcess.Start("nursery-shutdown");
        await child.ExpectLineAsync("ready");

        child.Signal(PosixSignal.SIGTERM);

        await child.ExpectLineAsync("closed");
        Assert.Equal(0, await child.WaitForExitAsync());
        var output = child.Transcript;
        Assert.Contains("child of first cancelled", output, StringComparison.Ordinal);
        Assert.Contains("child of second cancelled", output, StringComparison.Ordinal);
        Assert.Contains("disposed first-resource", output, StringComparison.Ordinal);
        Assert.Contains("disposed second-resource", output, StringComparison.Ordinal);

        // Within each nursery the child ended before its resources were unwound.
        Assert.True(output.IndexOf("child of first cancelled", StringComparison.Ordinal)
                    < output.IndexOf("disposed first-resource", StringComparison.Ordinal));
    }
}
