using Steward.Tasklets;
using Steward.Tests.Support;

namespace Steward.Tests.Storms;

/// <summary>
/// Other threads posting to a tasklet loop's synchronization context while the loop ends: every callback whose post was
/// accepted runs exactly once (on the loop, or on the thread pool once the loop has ended), and none is lost in the race
/// between a post and the loop's end (other threads queue without a lock).
/// </summary>
[Trait("Category", "Storm")]
[Collection(SerialTestGroup.Name)] // saturates both cores: never beside a timing test
public class TaskletLoopEndStormTests
{
    private const int Rounds = 200;
    private const int Posters = 2;

    [Fact]
    public async Task Callbacks_posted_while_the_loop_ends_each_run_once()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var loop = new TaskletLoop($"ending-{round}");
            var contextReady = new TaskCompletionSource<SynchronizationContext>(TaskCreationOptions.RunContinuationsAsynchronously);
            var tasklet = loop.Spawn(self =>
            {
                contextReady.SetResult(SynchronizationContext.Current!);
                return Task.CompletedTask;
            });
            var context = await contextReady.Task.WaitAsync(TimeSpan.FromSeconds(30));

            var posted = 0;
            var ran = 0;
            using var ranOne = new SemaphoreSlim(0);
            using var go = new Barrier(Posters + 1);
            var posters = Enumerable.Range(0, Posters).Select(_ => new Thread(() =>
            {
                go.SignalAndWait();
                for (var i = 0; i < 200; i++)
                {
                    Interlocked.Increment(ref posted);
                    context.Post(static s => ((Action)s!)(), (Action)(() =>
                    {
                        Interlocked.Increment(ref ran);
                        ranOne.Release();
                    }));
                }
            })).ToList();
            posters.ForEach(t => t.Start());
            go.SignalAndWait();
            var stop = loop.StopAsync(); // ends the loop while the posts arrive
            posters.ForEach(t => t.Join());
            await stop.AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            await tasklet.Completion.WaitAsync(TimeSpan.FromSeconds(30));

            for (var i = 0; i < posted; i++)
            {
                // The last ones may run on the thread pool, after the loop ended.
                Assert.True(await ranOne.WaitAsync(TimeSpan.FromSeconds(30)), $"round {round}: {ran} of {posted} callbacks ran");
            }

            Assert.Equal(posted, Volatile.Read(ref ran));
        }
    }
}
