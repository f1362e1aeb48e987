using Steward.Tasklets;

namespace Steward.Tests.Tasklets;

/// <summary>
/// The message hot path: a tasklet round trip (send, wait, resume) allocates nothing beyond the messages themselves,
/// so re-sending the same two messages allocates nothing at all. Measured on the loop thread, where both tasklets run;
/// the loop is a long-lived async method per tasklet, so its awaits allocate nothing even in Debug builds.
/// </summary>
public class TaskletAllocationTests
{
    [Fact]
    public async Task A_message_round_trip_between_two_tasklets_allocates_nothing_beyond_the_messages()
    {
        const int Warmup = 200;
        const int Measured = 10_000;
        await using var loop = new TaskletLoop("allocations");
        var ping = new Message("ping");
        var pong = new Message("pong");

        var echo = loop.Spawn(async self =>
        {
            var accept = WaitFor.Messages(accept: ["ping", "quit"]);
            while (true)
            {
                var request = (Message)await self.WaitAsync(accept);
                if (request.Name == "quit")
                {
                    return;
                }

                pong.Dest = request.Sender;
                await self.SendAsync(pong); // handled before the pinger re-sends: safe to reuse
            }
        });

        var pinger = loop.Spawn(async self =>
        {
            var accept = WaitFor.Messages(accept: ["pong"]);
            ping.Dest = echo;
            for (var i = 0; i < Warmup; i++)
            {
                await self.SendAsync(ping);
                await self.WaitAsync(accept);
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Measured; i++)
            {
                await self.SendAsync(ping);
                await self.WaitAsync(accept);
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            await self.SendAsync(new Message("quit") { Dest = echo });
            return allocated;
        });

        Assert.Equal(0L, await pinger.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        await echo.Completion.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
