using Steward.Coordination;

namespace Steward.Tests.Coordination;

public class AsyncExitStackTests
{
    [Fact]
    public async Task Actions_unwind_last_in_first_out_across_kinds()
    {
        var log = new List<string>();
        var stack = new AsyncExitStack();
        stack.Push(new SyncResource(log, "sync"));
        stack.Defer(() => log.Add("action"));
        stack.Push(new AsyncResource(log, "async"));
        stack.Defer(async () =>
        {
            await Task.Yield();
            log.Add("async action");
        });

        await stack.DisposeAsync();

        Assert.Equal(["async action", "async", "action", "sync"], log);
        Assert.Equal(0, stack.Count);
    }

    [Fact]
    public async Task Every_action_runs_and_failures_are_rethrown_afterwards()
    {
        var log = new List<string>();
        var one = new AsyncExitStack();
        one.Defer(() => log.Add("first pushed"));
        one.Defer(() => throw new InvalidOperationException("only"));
        var single = await Assert.ThrowsAsync<InvalidOperationException>(async () => await one.DisposeAsync());
        Assert.Equal("only", single.Message);
        Assert.Equal(["first pushed"], log);

        var two = new AsyncExitStack();
        two.Defer(() => throw new ArgumentException("pushed first"));
        two.Defer(() => throw new InvalidOperationException("pushed second"));
        var both = await Assert.ThrowsAsync<AggregateException>(async () => await two.DisposeAsync());
        Assert.Equal(["pushed second", "pushed first"], both.InnerExceptions.Select(e => e.Message));
    }

    [Fact]
    public async Task Dispose_is_idempotent_and_a_disposed_stack_refuses_pushes()
    {
        var runs = 0;
        var stack = new AsyncExitStack();
        stack.Defer(() => runs++);
        await stack.DisposeAsync();
        await stack.DisposeAsync();
        Assert.Equal(1, runs);
        Assert.Throws<ObjectDisposedException>(() => stack.Defer(() => runs++));
        Assert.Throws<ObjectDisposedException>(() => stack.PopAll());
    }

    [Fact]
    public void Push_refuses_what_is_not_disposable_naming_the_type()
    {
        var stack = new AsyncExitStack();
        var error = Assert.Throws<ArgumentException>(() => stack.Push("text"));
        Assert.Contains("System.String", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => stack.Defer((Action)null!));
    }

    [Fact]
    public async Task PopAll_moves_the_actions_to_a_new_stack()
    {
        var log = new List<string>();
        var stack = new AsyncExitStack();
        stack.Defer(() => log.Add("a"));
        stack.Defer(() => log.Add("b"));

        var moved = stack.PopAll();
        await stack.DisposeAsync();
        Assert.Empty(log);

        await moved.DisposeAsync();
        Assert.Equal(["b", "a"], log);
    }

    [Fact]
    public async Task An_async_disposable_is_preferred_over_its_sync_dispose()
    {
        var log = new List<string>();
        var stack = new AsyncExitStack();
        stack.Push(new BothResource(log));
        await stack.DisposeAsync();
        Assert.Equal(["DisposeAsync"], log);
    }

    private sealed class SyncResource(List<string> log, string name) : IDisposable
    {
        public void Dispose() => log.Add(name);
    }

    private sealed class AsyncResource(List<string> log, string name) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Task.Yield();
            log.Add(name);
        }
    }

    private sealed class BothResource(List<string> log) : IDisposable, IAsyncDisposable
    {
        public void Dispose() => log.Add("Dispose");

        public ValueTask DisposeAsync()
        {
            log.Add("DisposeAsync");
            return ValueTask.CompletedTask;
        }
    }
}
