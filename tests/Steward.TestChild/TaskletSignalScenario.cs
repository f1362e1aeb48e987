using System.Runtime.InteropServices;
using Steward.Tasklets;

namespace Steward.TestChild;

/// <summary>
/// WaitFor.Signal against real SIGHUPs: a tasklet waits twice on the same armed condition (each SIGHUP fires it and is
/// handled), then waits on something else, which disarms it, so the third SIGHUP gets its default action and kills.
/// </summary>
internal static class TaskletSignalScenario
{
    public static async Task<int> RunAsync()
    {
        await using var loop = new TaskletLoop("child");
        var tasklet = loop.Spawn(async self =>
        {
            var hangup = WaitFor.Signal(PosixSignal.SIGHUP);
            for (var round = 1; round <= 2; round++)
            {
                var wait = self.WaitAsync(hangup); // armed (registered) by now
                Say($"ready {round}");
                await wait;
                Say($"signal {hangup.Event}");
            }

            await self.WaitAsync(WaitFor.Timeout(TimeSpan.FromMilliseconds(1))); // leaves the signal out: disarmed
            Say("disarmed");
            await self.WaitAsync(WaitFor.Timeout(TimeSpan.FromMinutes(5))); // the next SIGHUP terminates the process
        });

        await tasklet.Completion;
        return 0;
    }

    private static void Say(string line)
    {
        Console.WriteLine(line);
        Console.Out.Flush();
    }
}
