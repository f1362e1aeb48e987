using Steward.Coordination;
using Steward.Nurseries;

namespace Steward.Tests.Nurseries;

public class TaskNurseryTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_cancellation_through_the_nursery_token_is_not_a_failure()
    {
        var nursery = new TaskNursery();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var child = nursery.Start(async ct =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });
        await started.Task.WaitAsync(s_timeout);

        await nursery.CloseAsync(); // no exception: the cancellation it caused is not a failure

        Assert.True(child.IsCanceled);
        Assert.True(nursery.Completion.IsCompletedSuccessfully);
        Assert.True(nursery.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task Under_CancelAll_the_first_failure_cancels_the_siblings_and_unwinds_resources_in_reverse()
    {
        var log = new List<string>();
        var nursery = new TaskNursery("cancel-all");
        await nursery.EnterAsync(new Resource(log, "first"));
        await nursery.EnterAsync(new Resource(log, "second"));
        nursery.Defer(() =>
        {
            lock (log)
            {
                log.Add("deferred");
            }

            return ValueTask.CompletedTask;
        });

        var siblingsStarted = new CountdownEvent(3);
        var siblings = Enumerable.Range(0, 3).Select(i => nursery.Start(async ct =>
        {
            siblingsStarted.Signal();
            await Task.Delay(Timeout.Infinite, ct);
        }, $"sibling-{i}")).ToArray();
        Assert.True(siblingsStarted.Wait(s_timeout));

        var failing = nursery.Start(_ => throw new InvalidOperationException("sensor exploded"), "failing");

        await Assert.ThrowsAnyAsync<Exception>(() => nursery.Completion.WaitAsync(s_timeout));
        var error = Assert.IsType<AggregateException>(nursery.Completion.Exception); // the whole set of failures
        var only = Assert.Single(error.InnerExceptions); // the original, and none of the cancellations it caused
        Assert.Equal("sensor exploded", Assert.IsType<InvalidOperationException>(only).Message);
        Assert.All(siblings, s => Assert.True(s.IsCanceled));
        Assert.True(failing.IsFaulted);
        Assert.Equal(["deferred", "second", "first"], log);
        Assert.True(nursery.IsClosed);

        var fromClose = await Assert.ThrowsAsync<AggregateException>(async () => await nursery.CloseAsync());
        Assert.Same(only, Assert.Single(fromClose.InnerExceptions));
    }

    [Fact]
    public async Task Under_Isolate_the_others_keep_running_and_ChildFailed_fires()
    {
        var nursery = new TaskNursery(policy: NurseryFailurePolicy.Isolate);
        var failed = new TaskCompletionSource<(Task, Exception)>(TaskCreationOptions.RunContinuationsAsynchronously);
        nursery.ChildFailed += (n, task, ex) => failed.TrySetResult((task, ex));
        var survivor = nursery.Start(async ct => await Task.Delay(Timeout.Infinite, ct));

        var failing = nursery.Start(async _ =>
        {
            await Task.Yield();
            throw new IOException("disk");
        });

        var (task, exception) = await failed.Task.WaitAsync(s_timeout);
        Assert.Same(failing, task);
        Assert.Equal("disk", exception.Message);
        Assert.False(survivor.IsCompleted);
        Assert.False(nursery.IsClosed);
        var late = nursery.Start(_ => Task.CompletedTask); // still open for business
        await late.WaitAsync(s_timeout);

        await nursery.CloseAsync(); // isolated failures are not rethrown
        Assert.True(survivor.IsCanceled);
    }

    [Fact]
    public async Task A_work_delegate_that_throws_synchronously_is_a_child_failure_not_an_exception_from_Start()
    {
        var nursery = new TaskNursery(policy: NurseryFailurePolicy.Isolate);
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        nursery.ChildFailed += (_, _, ex) => failed.TrySetResult(ex);

        var child = nursery.Start(_ => throw new FormatException("sync"));

        Assert.IsType<FormatException>(await failed.Task.WaitAsync(s_timeout));
        await Assert.ThrowsAsync<FormatException>(() => child);
        await nursery.CloseAsync();
    }

    [Fact]
    public async Task StopTaskAsync_cancels_only_that_child_and_refuses_a_foreign_task()
    {
        var nursery = new TaskNursery("stopper");
        var target = nursery.Start(async ct => await Task.Delay(Timeout.Infinite, ct));
        var other = nursery.Start(async ct => await Task.Delay(Timeout.Infinite, ct));

        await nursery.StopTaskAsync(target).WaitAsync(s_timeout);

        Assert.True(target.IsCanceled);
        Assert.False(other.IsCompleted);
        Assert.Equal([other], nursery.Tasks);
        var foreign = Task.Delay(Timeout.Infinite);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => nursery.StopTaskAsync(foreign));
        Assert.Contains("TaskNursery 'stopper'", error.Message, StringComparison.Ordinal);
        var elsewhere = new TaskNursery();
        var theirs = elsewhere.Start(async ct => await Task.Delay(Timeout.Infinite, ct));
        await Assert.ThrowsAsync<ArgumentException>(() => nursery.StopTaskAsync(theirs));

        await nursery.CloseAsync();
        await elsewhere.CloseAsync();
    }

    [Fact]
    public async Task Start_after_close_throws_ClosedException_synchronously_naming_the_nursery()
    {
        var nursery = new TaskNursery("done");
        nursery.Cancel();

        var error = Assert.Throws<ClosedException>(() => { _ = nursery.Start(_ => Task.CompletedTask); }); // synchronously
        Assert.Equal("TaskNursery 'done' is closed: cannot start 'done#1'.", error.Message);
        Assert.Throws<ClosedException>(() => { _ = nursery.Start(_ => Task.FromResult(1)); });
        Assert.Throws<ClosedException>(() => nursery.Defer(() => ValueTask.CompletedTask));
        await Assert.ThrowsAsync<ClosedException>(async () => await nursery.EnterAsync(new Resource([], "late")));
        Assert.Throws<ClosedException>(() => nursery.PopAll());
        await nursery.Completion.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task PopAll_moves_children_and_resources_so_closing_the_old_nursery_no_longer_touches_them()
    {
        var log = new List<string>();
        var old = new TaskNursery("setup");
        await old.EnterAsync(new Resource(log, "connection"));
        var child = old.Start(async ct => await Task.Delay(Timeout.Infinite, ct));

        var successor = old.PopAll();
        await old.CloseAsync();

        Assert.False(child.IsCompleted);
        Assert.Empty(log);
        Assert.Empty(old.Tasks);
        Assert.Equal([child], successor.Tasks);
        await Assert.ThrowsAsync<ArgumentException>(() => old.StopTaskAsync(child));

        await successor.CloseAsync();
        Assert.True(child.IsCanceled);
        Assert.Equal(["connection"], log);
    }

    [Fact]
    public async Task No_child_outlives_CloseAsync_and_Tasks_is_empty_afterwards()
    {
        var nursery = new TaskNursery();
        var ended = 0;
        for (var i = 0; i < 20; i++)
        {
            _ = nursery.Start(async ct =>
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                finally
                {
                    await Task.Delay(10, CancellationToken.None); // slow clean-up must still finish first
                    Interlocked.Increment(ref ended);
                }
            });
        }

        var tasks = nursery.Tasks;
        await nursery.CloseAsync();

        Assert.Equal(20, ended);
        Assert.All(tasks, t => Assert.True(t.IsCompleted));
        Assert.Empty(nursery.Tasks);
    }

    [Fact]
    public async Task Start_of_T_returns_the_childs_value_and_WhenAllAsync_waits_without_cancelling()
    {
        var nursery = new TaskNursery();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var value = nursery.Start(async _ =>
        {
            await release.Task;
            return 42;
        });
        var failing = nursery.Start(_ => Task.FromException(new InvalidOperationException("ignored by WhenAll")));
        var all = nursery.WhenAllAsync();
        await Task.Delay(20);
        Assert.False(all.IsCompleted);

        release.SetResult();
        await all.WaitAsync(s_timeout); // does not rethrow the failure: the policy handles it
        Assert.Equal(42, await value);
        await Assert.ThrowsAsync<AggregateException>(async () => await nursery.CloseAsync());
    }

    [Fact]
    public async Task Names_are_unique_among_live_nurseries_and_leave_the_registry_on_close()
    {
        var nursery = new TaskNursery("unique-name");
        Assert.Same(nursery, TaskNursery.Registry["unique-name"]);
        var error = Assert.Throws<ArgumentException>(() => new TaskNursery("unique-name"));
        Assert.Contains("'unique-name'", error.Message, StringComparison.Ordinal);

        var unnamed = new TaskNursery();
        Assert.Matches(@"^TaskNursery-\d+$", unnamed.Name);

        await nursery.CloseAsync();
        await unnamed.CloseAsync();
        Assert.False(TaskNursery.Registry.ContainsKey("unique-name"));
        await new TaskNursery("unique-name").CloseAsync(); // the name is free again
    }

    [Fact]
    public async Task The_constructor_token_closes_the_nursery()
    {
        using var cts = new CancellationTokenSource();
        var nursery = new TaskNursery(cancellationToken: cts.Token);
        var child = nursery.Start(async ct => await Task.Delay(Timeout.Infinite, ct));

        cts.Cancel();

        await nursery.Completion.WaitAsync(s_timeout);
        Assert.True(child.IsCanceled);
    }

    [Fact]
    public async Task Entering_a_MultiOpen_opens_it_and_the_close_releases_the_lease()
    {
        var resource = MultiOpen.Create("db", (_, _) => ValueTask.CompletedTask);
        var nursery = new TaskNursery();

        Assert.Same(resource, await nursery.EnterAsync(resource));
        Assert.Equal(1, resource.OpenCount);
        Assert.Contains(resource.OpenSites, s => s.Contains(nameof(TaskNurseryTests), StringComparison.Ordinal));

        await nursery.CloseAsync();
        Assert.Equal(0, resource.OpenCount);
        Assert.True(resource.IsClosed);
    }

    [Fact]
    public async Task A_failing_unwind_step_is_reported_and_the_others_still_run()
    {
        var log = new List<string>();
        var nursery = new TaskNursery();
        await nursery.EnterAsync(new Resource(log, "kept"));
        nursery.Defer(() => throw new IOException("flush failed"));

        var error = await Assert.ThrowsAsync<AggregateException>(async () => await nursery.CloseAsync());

        Assert.Equal("flush failed", Assert.Single(error.InnerExceptions).Message);
        Assert.Equal(["kept"], log);
    }

    [Fact]
    public async Task DisposeAsync_throws_the_failures_once_and_later_disposals_are_quiet()
    {
        var nursery = new TaskNursery();
        _ = nursery.Start(_ => throw new InvalidOperationException("boom"));
        await Assert.ThrowsAnyAsync<Exception>(() => nursery.Completion.WaitAsync(s_timeout));

        var first = await Assert.ThrowsAsync<AggregateException>(async () => await nursery.DisposeAsync());
        Assert.Equal("boom", Assert.Single(first.InnerExceptions).Message);
        await nursery.DisposeAsync(); // a container disposing it later: quiet
        await Assert.ThrowsAsync<AggregateException>(async () => await nursery.CloseAsync()); // an explicit close still says so
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TaskNursery(policy: (NurseryFailurePolicy)7));
        var nursery = new TaskNursery();
        Assert.Throws<ArgumentNullException>(() => { _ = nursery.Start(null!); });
        Assert.Throws<ArgumentNullException>(() => nursery.Defer(null!));
        nursery.Cancel();
    }

    internal sealed class Resource(List<string> log, string name) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            lock (log)
            {
                log.Add(name);
            }

            return ValueTask.CompletedTask;
        }
    }
}
