using Steward.Deferred;

namespace Steward.Tests.Deferred;

/// <summary>DESIGN.md: <c>Oneway</c> allocates nothing beyond the caller's own closure (amortised), and neither does
/// processing it. Measured with a static lambda, which has no closure.</summary>
public class DeferredCallAllocationTests
{
    private const int Rounds = 1_000;
    private const int CallsPerRound = 10;

    [Fact]
    public void Oneway_and_ProcessPending_allocate_nothing_once_warm()
    {
        var calls = new DeferredCalls<Counter>(new Counter());
        Run(calls, 20); // warm up: JIT, the queue's segment, the name cache

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ran = Run(calls, Rounds);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(Rounds * CallsPerRound, ran);
        Assert.Equal((20 + Rounds) * CallsPerRound, calls.Target.Value);
    }

    // No async methods here: in Debug builds the compiler makes async state machines classes, which would allocate.
    private static int Run(DeferredCalls<Counter> calls, int rounds)
    {
        var ran = 0;
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < CallsPerRound; i++)
            {
                calls.Oneway(static c => c.Increment());
            }

            ran += calls.ProcessPending();
        }

        return ran;
    }

    private sealed class Counter
    {
        public int Value { get; private set; }

        public void Increment() => Value++;
    }
}
