using BenchmarkDotNet.Attributes;
using Steward.Coordination;

namespace Steward.Benchmarks.Peers;

/// <summary>
/// A producer/consumer hand-off through a one-slot buffer guarded by a lock and two condition variables ("not full",
/// "not empty"): Steward's <see cref="AsyncCondition"/>s sharing one <see cref="AsyncLock"/> against Nito.AsyncEx 5.1.2's
/// <c>AsyncConditionVariable</c>s sharing one <c>AsyncLock</c> (the baseline).
/// </summary>
/// <remarks>
/// The same code on both sides, line for line, with the same guarantees: waits release the lock and take it back before
/// returning, notifications are not lost, the locks are fair. The two flows run on the thread pool.
/// </remarks>
[MemoryDiagnoser]
public class ConditionPeerBenchmarks
{
    private const int Items = 10_000;

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public async Task<long> Nito_AsyncConditionVariable_HandOff()
    {
        var gate = new Nito.AsyncEx.AsyncLock();
        var notFull = new Nito.AsyncEx.AsyncConditionVariable(gate);
        var notEmpty = new Nito.AsyncEx.AsyncConditionVariable(gate);
        var slot = 0;
        var full = false;

        var consumer = Task.Run(async () =>
        {
            long sum = 0;
            for (var i = 0; i < Items; i++)
            {
                using (await gate.LockAsync())
                {
                    while (!full)
                    {
                        await notEmpty.WaitAsync();
                    }

                    sum += slot;
                    full = false;
                    notFull.Notify();
                }
            }

            return sum;
        });

        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < Items; i++)
            {
                using (await gate.LockAsync())
                {
                    while (full)
                    {
                        await notFull.WaitAsync();
                    }

                    slot = i;
                    full = true;
                    notEmpty.Notify();
                }
            }
        });

        await producer;
        return await consumer;
    }

    [Benchmark(OperationsPerInvoke = Items)]
    public async Task<long> Steward_AsyncCondition_HandOff()
    {
        var gate = new AsyncLock();
        var notFull = new AsyncCondition(gate);
        var notEmpty = new AsyncCondition(gate);
        var slot = 0;
        var full = false;

        var consumer = Task.Run(async () =>
        {
            long sum = 0;
            for (var i = 0; i < Items; i++)
            {
                using (await gate.LockAsync())
                {
                    while (!full)
                    {
                        await notEmpty.WaitAsync();
                    }

                    sum += slot;
                    full = false;
                    notFull.Notify();
                }
            }

            return sum;
        });

        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < Items; i++)
            {
                using (await gate.LockAsync())
                {
                    while (full)
                    {
                        await notFull.WaitAsync();
                    }

                    slot = i;
                    full = true;
                    notEmpty.Notify();
                }
            }
        });

        await producer;
        return await consumer;
    }
}
