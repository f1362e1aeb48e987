using System.Runtime.CompilerServices;
using Steward.Nurseries;
using Steward.Tests.Support;

namespace Steward.Tests.Nurseries;

[Collection(SerialTestGroup.Name)]
public class TaskNurseryStressTests
{
    [Fact]
    public async Task A_thousand_nurseries_of_a_hundred_children_leave_nothing_behind()
    {
        var (nurseries, names) = await RunThousandNurseries();

        Assert.DoesNotContain(TaskNursery.Registry.Keys, names.Contains);

        // Collectable, eventually: a thread-pool thread may still be unwinding the frame that completed the last close.
        for (var attempt = 0; attempt < 20 && nurseries.Exists(w => w.TryGetTarget(out _)); attempt++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(50);
        }

        Assert.All(nurseries, w => Assert.False(w.TryGetTarget(out _), "a closed nursery is still referenced"));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<(List<WeakReference<TaskNursery>> Nurseries, HashSet<string> Names)> RunThousandNurseries()
    {
        var tasks = new List<Task>(100_000);
        var weak = new List<WeakReference<TaskNursery>>();
        var names = new HashSet<string>();
        var closes = new List<Task>();
        for (var n = 0; n < 1000; n++)
        {
            var nursery = new TaskNursery();
            names.Add(nursery.Name);
            weak.Add(new WeakReference<TaskNursery>(nursery));
            for (var c = 0; c < 100; c++)
            {
                // Half end on their own, half wait to be cancelled by the close.
                tasks.Add(c % 2 == 0
                    ? nursery.Start(_ => Task.CompletedTask)
                    : nursery.Start(async ct => await Task.Delay(Timeout.Infinite, ct)));
            }

            closes.Add(nursery.CloseAsync().AsTask());
        }

        await Task.WhenAll(closes).WaitAsync(TimeSpan.FromMinutes(2));

        // Every child ended before its nursery's close returned. (The tasks are dropped here: a child's task keeps its
        // nursery reachable, on purpose, so the nurseries can only be collected once the tasks are gone.)
        Assert.Equal(100_000, tasks.Count);
        Assert.All(tasks, t => Assert.True(t.IsCompleted));
        return (weak, names);
    }
}
