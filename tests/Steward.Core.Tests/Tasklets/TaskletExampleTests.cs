using Steward.Tasklets;

namespace Steward.Tests.Tasklets;

/// <summary>gtasklet's own examples, ported.</summary>
public class TaskletExampleTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_module_example_prints_0_to_9_in_order_and_both_tasklets_finish()
    {
        await using var loop = new TaskletLoop("example");
        var printed = new List<object?>();

        var printer = loop.Spawn(async self =>
        {
            while (true)
            {
                var message = (Message)await self.WaitAsync(WaitFor.Messages(accept: ["quit", "print"]));
                if (message.Name == "quit")
                {
                    return;
                }

                printed.Add(message.Value);
            }
        }, "printer");

        var counter = loop.Spawn(async self =>
        {
            for (var i = 0; i < 10; i++)
            {
                await self.SendAsync(new Message("print", i) { Dest = printer });
                await self.WaitAsync(WaitFor.Timeout(TimeSpan.FromMilliseconds(10)));
            }

            await self.SendAsync(new Message("quit") { Dest = printer });
        }, "counter");

        await Task.WhenAll(printer.Completion, counter.Completion).WaitAsync(s_timeout);

        Assert.Equal(Enumerable.Range(0, 10).Cast<object?>(), printed);
        Assert.Equal(TaskletState.Finished, printer.State);
        Assert.Equal(TaskletState.Finished, counter.State);
    }

    [Fact]
    public async Task Ping_echo_the_echo_sees_the_sender_and_the_pinger_returns_123_to_Completion_and_join_callbacks()
    {
        await using var loop = new TaskletLoop("ping-echo");
        Tasklet? seenSender = null;
        var joined = new TaskCompletionSource<(Tasklet, object?)>(TaskCreationOptions.RunContinuationsAsynchronously);

        var echo = loop.Spawn(async self =>
        {
            while (true)
            {
                var request = (Message)await self.WaitAsync(WaitFor.Messages(accept: ["ping", "quit"]));
                if (request.Name == "quit")
                {
                    return;
                }

                seenSender = request.Sender;
                await self.SendAsync(new Message("pong", request.Value) { Dest = request.Sender });
            }
        }, "echo");

        Tasklet? pinger = null;
        pinger = loop.Spawn(async self =>
        {
            await self.SendAsync(new Message("ping", 123) { Dest = echo });
            var reply = (Message)await self.WaitAsync(WaitFor.Messages(accept: ["pong"]));
            Assert.Same(echo, reply.Sender);
            await self.SendAsync(new Message("quit") { Dest = echo });
            return (int)reply.Value!;
        }, "pinger");
        pinger.AddJoinCallback((tasklet, value) => joined.TrySetResult((tasklet, value)));

        Assert.Equal(123, await pinger.Completion.WaitAsync(s_timeout));
        Assert.Equal(123, pinger.ReturnValue);
        var (joinedTasklet, joinedValue) = await joined.Task.WaitAsync(s_timeout);
        Assert.Same(pinger, joinedTasklet);
        Assert.Equal(123, joinedValue);
        await echo.Completion.WaitAsync(s_timeout);
        Assert.Same(pinger, seenSender);
    }
}
