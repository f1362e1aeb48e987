using Steward.StateMachines;
using Steward.Tests.Support;

namespace Steward.Tests.StateMachines;

/// <summary>
/// Long runs of synchronous states: a million transitions in a loop (no stack growth), and at most 64 bytes allocated
/// per transition in steady state (the state's <see cref="StateContext"/>; no task, no history growth, no telemetry
/// while nobody listens). Serial: no telemetry listener from another test may be attached while allocations are counted.
/// </summary>
[Collection(SerialTestGroup.Name)]
public class StateMachineAllocationTests
{
    private const int Warmup = 1_000;
    private const int Measured = 10_000;
    private static readonly TimeSpan s_generous = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_million_synchronous_transitions_run_without_overflowing_the_stack()
    {
        var machine = StateMachine.Define<Counter>("million")
            .State("foo", to: ["bar"], (c, s) => s.GoTo("bar"))
            .State("bar", to: ["foo", "end"], (c, s) => ++c.Value == 500_000 ? s.GoTo("end") : s.GoTo("foo"))
            .State("end", (c, s) => s.End())
            .Build();

        var counter = new Counter();
        var run = machine.Start(counter, "foo");
        await run.Completion.WaitAsync(s_generous);

        Assert.Equal(500_000, counter.Value);
        var history = run.History;
        Assert.Equal(64, history.Count);
        Assert.Equal(("bar", "end"), history[^1]);
        Assert.Equal(("foo", "bar"), history[^2]);
        Assert.Equal(("bar", "foo"), history[^3]);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(0)]
    [InlineData(5)]
    public async Task A_synchronous_transition_allocates_at_most_64_bytes(int historyCapacity)
    {
        var observed = 0L;
        var machine = StateMachine.Define<AllocationMeter>("allocation")
            .State("a", to: ["b"], (m, s) => m.Tick(s) ? s.End() : s.GoTo("b", m))
            .State("b", to: ["c"], (m, s) => m.Tick(s) ? s.End() : s.GoTo("c"))
            .State("c", to: ["a"], (m, s) => m.Tick(s) ? s.End() : s.GoTo("a"))
            .OnTransition((_, _, _) => observed++) // observers are delegates: calling them allocates nothing
            .History(historyCapacity)
            .Build();

        var meter = new AllocationMeter();
        var run = machine.Start(meter, "a");
        await run.Completion.WaitAsync(s_generous);

        Assert.Equal(Warmup + Measured, observed); // the initial transition, then one per visit but the last
        Assert.Equal(1, meter.Threads); // measured on one thread: the states ran in one loop
        var perTransition = (double)meter.Allocated / Measured;
        Assert.True(perTransition <= 64, $"{perTransition:F1} bytes per transition (history {historyCapacity})");
    }

    private sealed class Counter
    {
        public int Value;
    }

    /// <summary>Counts the bytes the state bodies' thread allocates between visit <see cref="Warmup"/> and
    /// <see cref="Warmup"/> + <see cref="Measured"/>.</summary>
    private sealed class AllocationMeter
    {
        private int _visits;
        private long _before;
        private int _thread;

        public long Allocated { get; private set; }

        public int Threads { get; private set; }

        public bool Tick(StateContext s)
        {
            _ = s;
            _visits++;
            if (_visits == Warmup)
            {
                _thread = Environment.CurrentManagedThreadId;
                Threads = 1;
                _before = GC.GetAllocatedBytesForCurrentThread();
            }
            else if (_visits > Warmup && Environment.CurrentManagedThreadId != _thread)
            {
                Threads = 2;
            }

            if (_visits == Warmup + Measured)
            {
                Allocated = GC.GetAllocatedBytesForCurrentThread() - _before;
                return true;
            }

            return false;
        }
    }
}
