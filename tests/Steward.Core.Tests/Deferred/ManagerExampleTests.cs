using Steward.Deferred;
using Steward.Tests.Support;

namespace Steward.Tests.Deferred;

/// <summary>gevent_async's README example: a Manager updated by many producers, processing between critical sections.</summary>
[Collection(SerialTestGroup.Name)]
public class ManagerExampleTests
{
    private const int Producers = 8;
    private const int UpdatesPerProducer = 100_000;

    [Fact]
    public async Task Eight_producers_of_100000_oneway_updates_each_are_applied_exactly_once_and_never_inside_a_critical_section()
    {
        await using var manager = new Manager(Producers);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var owner = new Thread(() =>
        {
            try
            {
                var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
                while (manager.Applied < Producers * UpdatesPerProducer && DateTime.UtcNow < deadline)
                {
                    manager.Manage();
                }

                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        });
        manager.OwnerThread = owner;
        owner.Start();

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < UpdatesPerProducer; i++)
            {
                var sequence = i;
                Assert.True(manager.Oneway(m => m.UpdateResource(p, sequence)));
            }
        })).ToArray();
        await Task.WhenAll(producers).WaitAsync(TimeSpan.FromMinutes(2));
        await done.Task.WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(Producers * UpdatesPerProducer, manager.Applied);
        Assert.All(manager.NextSequence, next => Assert.Equal(UpdatesPerProducer, next)); // each one once, in order
        Assert.Equal(0, manager.OutOfOrder);
        Assert.Equal(0, manager.DuringCriticalSection);
        Assert.Equal(0, manager.OffOwnerThread);
        Assert.True(manager.Passes > 1);
        Assert.Equal(0, manager.PendingCount);
    }

    private sealed class Manager(int producers) : DeferredCallHandler<Manager>(new DeferredCallOptions { Name = "manager" })
    {
        private bool _inCriticalSection;
        private long _resourceChecksum;

        public Thread? OwnerThread { get; set; }

        public int[] NextSequence { get; } = new int[producers];

        public long Applied { get; private set; }

        public int OutOfOrder { get; private set; }

        public int DuringCriticalSection { get; private set; }

        public int OffOwnerThread { get; private set; }

        public int Passes { get; private set; }

        // Runs on the owner's thread, only inside ProcessPending.
        public void UpdateResource(int producer, int sequence)
        {
            if (Volatile.Read(ref _inCriticalSection))
            {
                DuringCriticalSection++;
            }

            if (Thread.CurrentThread != OwnerThread)
            {
                OffOwnerThread++;
            }

            if (NextSequence[producer] != sequence)
            {
                OutOfOrder++;
            }

            NextSequence[producer] = sequence + 1;
            _resourceChecksum += sequence;
            Applied++;
        }

        public void Manage()
        {
            Volatile.Write(ref _inCriticalSection, true);
            for (var i = 0; i < 100; i++)
            {
                _resourceChecksum = (_resourceChecksum * 31) + i; // work on the resources, assured nobody updates them
            }

            Volatile.Write(ref _inCriticalSection, false);
            ProcessPending();
            Passes++;
        }
    }
}
