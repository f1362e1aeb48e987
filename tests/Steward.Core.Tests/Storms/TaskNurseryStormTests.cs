using Steward.Nurseries;
using Steward.Tests.Support;

namespace Steward.Tests.Storms;

/// <summary>
/// Spawners, failing children and a close racing each other on one <see cref="TaskNursery"/>: no child outlives the
/// close, a start after the close is refused at once, and every failure is reported (none lost, no cancellation counted).
/// </summary>
[Trait("Category", "Storm")]
[Collection(SerialTestGroup.Name)] // saturates both cores: never beside a timing test
public class TaskNurseryStormTests
{
    private const int Rounds = 20;
    private const int Spawners = 2; // hot threads beside the pool's two on two cores
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task No_child_outlives_a_close_that_races_spawners_and_failures()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var nursery = new TaskNursery($"storm-{round}", NurseryFailurePolicy.Isolate);
            var running = 0; // children whose body is running
            var live = 0;    // children started and not yet ended (the spawners' throttle)
            var failed = 0;
            var reported = 0;
            nursery.ChildFailed += (_, _, _) => Interlocked.Increment(ref reported);
            using var go = new Barrier(Spawners + 1);

            var spawners = Enumerable.Range(0, Spawners).Select(s => Task.Factory.StartNew(() =>
            {
                go.SignalAndWait();
                for (var i = 0; ; i++)
                {
                    if (Volatile.Read(ref live) > 300)
                    {
                        Thread.Sleep(1); // throttles (not a synchronisation): keeps the live children bounded
                    }

                    try
                    {
                        var fail = i % 7 == 0;
                        Interlocked.Increment(ref live);
                        nursery.Start(async ct =>
                        {
                            Interlocked.Increment(ref running);
                            try
                            {
                                await Task.Yield();
                                if (fail)
                                {
                                    Interlocked.Increment(ref failed);
                                    throw new InvalidOperationException("child failed");
                                }

                                await Task.Delay(Timeout.Infinite, ct);
                            }
                            finally
                            {
                                Interlocked.Decrement(ref running);
                                Interlocked.Decrement(ref live);
                            }
                        });
                    }
                    catch (ClosedException)
                    {
                        Interlocked.Decrement(ref live);
                        return i; // refused at once, synchronously, once closing began
                    }
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

            go.SignalAndWait();
            SpinWait.SpinUntil(() => Volatile.Read(ref running) >= 100 || spawners.Any(t => t.IsCompleted));
            try
            {
                await nursery.CloseAsync().AsTask().WaitAsync(s_bound);
            }
            catch (AggregateException)
            {
                // Isolate: the failures are logged and raised, the close does not throw them; tolerated either way here.
            }

            Assert.Equal(0, Volatile.Read(ref running));
            await Task.WhenAll(spawners).WaitAsync(s_bound); // each was refused once the close began
            Assert.True(nursery.IsClosed);
            Assert.Equal(Volatile.Read(ref failed), Volatile.Read(ref reported));
            Assert.Throws<ClosedException>(() => { _ = nursery.Start(_ => Task.CompletedTask); });
        }
    }
}
