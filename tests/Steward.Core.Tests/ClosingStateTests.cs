using Steward.Deferred;
using Steward.Nurseries;

namespace Steward.Tests;

/// <summary>One meaning across types: <c>IsClosing</c> once the close has begun (and after), <c>IsClosed</c> once it is over.</summary>
public class ClosingStateTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_nursery_is_closing_while_a_child_winds_down_and_closed_once_it_has()
    {
        var nursery = new TaskNursery("closing");
        var windDown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = nursery.Start(async ct =>
        {
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await windDown.Task;
        });
        Assert.False(nursery.IsClosing);

        var closing = nursery.CloseAsync().AsTask();

        Assert.True(nursery.IsClosing);
        Assert.False(nursery.IsClosed);
        windDown.SetResult();
        await closing.WaitAsync(s_timeout);
        Assert.True(nursery.IsClosing);
        Assert.True(nursery.IsClosed);
    }

    [Fact]
    public async Task Deferred_calls_are_closing_while_they_drain_and_closed_once_drained()
    {
        var calls = new DeferredCalls<object>(new object());
        using var gate = new ManualResetEventSlim();
        calls.Oneway(_ => gate.Wait(s_timeout));

        var closing = calls.DisposeAsync().AsTask();

        Assert.True(calls.IsClosing);
        Assert.False(calls.IsClosed);
        gate.Set();
        await closing.WaitAsync(s_timeout);
        Assert.True(calls.IsClosed);
    }

    [Fact]
    public async Task A_MultiOpen_is_closing_while_it_shuts_down_and_closed_once_it_has()
    {
        var shutdown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resource = MultiOpen.Create("closing", (stack, _) =>
        {
            stack.Defer(async () => await shutdown.Task);
            return ValueTask.CompletedTask;
        });
        var lease = await resource.OpenAsync();

        var closing = lease.DisposeAsync().AsTask();

        Assert.True(resource.IsClosing);
        Assert.False(resource.IsClosed);
        shutdown.SetResult();
        await closing.WaitAsync(s_timeout);
        Assert.True(resource.IsClosing);
        Assert.True(resource.IsClosed);
        await using (await resource.OpenAsync())
        {
            Assert.False(resource.IsClosing); // a new cycle
            Assert.False(resource.IsClosed);
        }
    }
}
