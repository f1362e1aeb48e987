using Steward.Nurseries;

namespace Steward.Tests.Nurseries;

/// <summary>Under <see cref="NurseryFailurePolicy.CancelAll"/>, several children failing at once: every failure is
/// reported, and none of the cancellations they cause.</summary>
public class TaskNurseryFailureTests
{
    private const int Iterations = 300;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(2, true)] // a close that races the failures must not lose any of them either
    public async Task Under_CancelAll_simultaneous_failures_are_all_reported_and_the_cancellations_are_not(int failing, bool closeAtOnce)
    {
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            await SimultaneousFailures(failing, siblings: 3, closeAtOnce);
        }
    }

    private static async Task SimultaneousFailures(int failing, int siblings, bool closeAtOnce)
    {
        var nursery = new TaskNursery();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var notStarted = failing + siblings;
        void Started()
        {
            if (Interlocked.Decrement(ref notStarted) == 0)
            {
                allStarted.SetResult();
            }
        }

        var thrown = Enumerable.Range(0, failing).Select(k => new InvalidOperationException($"failure {k}")).ToArray();
        var failingTasks = thrown.Select(error => nursery.Start(async _ =>
        {
            Started();
            await gate.Task;

            // Thrown without looking at the token: the first failure's cancellation cannot stop the others.
            throw error;
        })).ToArray();
        var siblingTasks = Enumerable.Range(0, siblings).Select(_ => nursery.Start(async ct =>
        {
            Started();
            await Task.Delay(Timeout.Infinite, ct);
        })).ToArray();

        await allStarted.Task.WaitAsync(s_timeout);
        gate.SetResult(); // every failing child now resumes and throws
        if (closeAtOnce)
        {
            nursery.Cancel();
        }

        await Assert.ThrowsAnyAsync<Exception>(() => nursery.Completion.WaitAsync(s_timeout));
        var completion = Assert.IsType<AggregateException>(nursery.Completion.Exception);
        AssertExactly(thrown, completion);
        var fromClose = await Assert.ThrowsAsync<AggregateException>(async () => await nursery.CloseAsync());
        AssertExactly(thrown, fromClose);

        for (var k = 0; k < failing; k++)
        {
            Assert.True(failingTasks[k].IsFaulted);
            Assert.Same(thrown[k], failingTasks[k].Exception!.InnerException);
        }

        Assert.All(siblingTasks, s => Assert.True(s.IsCanceled));
        Assert.True(nursery.IsClosed);
    }

    private static void AssertExactly(Exception[] expected, AggregateException error)
    {
        Assert.DoesNotContain(error.InnerExceptions, e => e is OperationCanceledException);
        Assert.Equal(expected.Length, error.InnerExceptions.Count);
        Assert.All(expected, e => Assert.Contains(e, error.InnerExceptions));
    }
}
