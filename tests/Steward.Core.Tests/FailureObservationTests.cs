using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Steward.StateMachines;
using Steward.Tasklets;
using Steward.Tests.Support;

namespace Steward.Tests;

/// <summary>
/// A failure that Steward has already logged is observed, as <see cref="Nurseries.TaskNursery"/> observes its children's:
/// a tasklet or state-machine run whose <c>Completion</c> nobody awaits never raises
/// <see cref="TaskScheduler.UnobservedTaskException"/> (which a host may treat as fatal), and a caller who does await it
/// still gets the exception.
/// </summary>
[Collection(SerialTestGroup.Name)] // counts process-wide UnobservedTaskException events
public class FailureObservationTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_failed_tasklet_nobody_awaits_is_logged_and_raises_no_UnobservedTaskException()
    {
        var logger = new ListLogger();
        await using var loop = new TaskletLoop("observed", logger);
        var unobserved = await CountUnobservedAsync(() => FailTasklet(loop));

        Assert.Equal(0, unobserved);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Error && e.Exception is FormatException);
    }

    [Fact]
    public async Task A_failed_tasklet_still_hands_its_exception_to_whoever_awaits_it()
    {
        await using var loop = new TaskletLoop("awaited");
        var tasklet = loop.Spawn(_ => throw new FormatException("broken"));

        await Assert.ThrowsAsync<FormatException>(() => tasklet.Completion.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task A_failed_state_machine_run_nobody_awaits_is_logged_and_raises_no_UnobservedTaskException()
    {
        var logger = new ListLogger();
        var machine = StateMachine.Define<object>("observed", logger)
            .State("only", (_, _) => throw new FormatException("broken"))
            .Build();
        var unobserved = await CountUnobservedAsync(() => FailRun(machine));

        Assert.Equal(0, unobserved);
        Assert.Contains(logger.Entries, e => e.Exception is FormatException);
    }

    [Fact]
    public async Task A_failed_state_machine_run_still_hands_its_exception_to_whoever_awaits_it()
    {
        var machine = StateMachine.Define<object>("awaited")
            .State("only", (_, _) => throw new FormatException("broken"))
            .Build();

        var run = machine.Start(new object(), "only");

        await Assert.ThrowsAsync<FormatException>(() => run.Completion.WaitAsync(s_timeout));
    }

    /// <summary>Runs <paramref name="fail"/> (which ends a failure without keeping a reference to it), collects, and counts
    /// the UnobservedTaskException events raised meanwhile.</summary>
    private static async Task<int> CountUnobservedAsync(Func<Task> fail)
    {
        var count = 0;
        EventHandler<UnobservedTaskExceptionEventArgs> handler = (_, e) =>
        {
            if (e.Exception.InnerException is FormatException)
            {
                Interlocked.Increment(ref count);
            }
        };
        TaskScheduler.UnobservedTaskException += handler;
        try
        {
            await fail();
            for (var i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            return Volatile.Read(ref count);
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= handler;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Task FailTasklet(TaskletLoop loop)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasklet = loop.Spawn(_ => throw new FormatException("broken"));
        tasklet.AddJoinCallback((_, _) => finished.SetResult()); // completes without observing the failure
        return finished.Task.WaitAsync(s_timeout);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Task FailRun(StateMachine<object> machine)
    {
        var run = machine.Start(new object(), "only");
        var completion = run.Completion;
        return Task.Run(() => { ((IAsyncResult)completion).AsyncWaitHandle.WaitOne(s_timeout); }); // waits without observing
    }
}
