using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Steward.StateMachines;

namespace Steward.Benchmarks.Peers;

/// <summary>
/// Steward's state machine against Stateless 5.20.1 (the baseline) on the same cycle of four states,
/// a → b → c → d → a …, 10,000 transitions per invocation, every state synchronous.
/// </summary>
/// <remarks>
/// The models differ: Stateless is a transition table driven from outside (the caller fires a trigger, the machine
/// looks up the permitted destination and moves; here with <c>Fire</c> in its default, queued, firing mode, no entry or
/// exit actions). A Steward machine drives itself: each state's body decides its successor (<c>s.GoTo</c>, checked
/// against the state's declared targets) and the run loop enters it and runs its body, so one Steward invocation is one
/// run (<c>Start</c>, 10,000 transitions, the end), including the start's hop to the thread pool and each state's
/// <see cref="StateContext"/>; the history keeps its default 64 transitions.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class StateMachinePeerBenchmarks
{
    private const int Transitions = 10_000;
    private Stateless.StateMachine<Phase, Trigger> _stateless = null!;
    private StateMachine<Lap> _steward = null!;

    public enum Phase
    {
        A,
        B,
        C,
        D,
    }

    public enum Trigger
    {
        Next,
    }

    [GlobalSetup]
    public void Setup()
    {
        _stateless = new Stateless.StateMachine<Phase, Trigger>(Phase.A);
        _stateless.Configure(Phase.A).Permit(Trigger.Next, Phase.B);
        _stateless.Configure(Phase.B).Permit(Trigger.Next, Phase.C);
        _stateless.Configure(Phase.C).Permit(Trigger.Next, Phase.D);
        _stateless.Configure(Phase.D).Permit(Trigger.Next, Phase.A);

        _steward = StateMachine.Define<Lap>("cycle")
            .State("a", to: ["b"], (lap, s) => lap.Done() ? s.End() : s.GoTo("b"))
            .State("b", to: ["c"], (lap, s) => lap.Done() ? s.End() : s.GoTo("c"))
            .State("c", to: ["d"], (lap, s) => lap.Done() ? s.End() : s.GoTo("d"))
            .State("d", to: ["a"], (lap, s) => lap.Done() ? s.End() : s.GoTo("a"))
            .Build();
    }

    [BenchmarkCategory("4-state cycle, sync"), Benchmark(Baseline = true, OperationsPerInvoke = Transitions)]
    public Phase Stateless_Fire()
    {
        for (var i = 0; i < Transitions; i++)
        {
            _stateless.Fire(Trigger.Next);
        }

        return _stateless.State;
    }

    [BenchmarkCategory("4-state cycle, sync"), Benchmark(OperationsPerInvoke = Transitions)]
    public Task Steward_sync_states() => _steward.Start(new Lap(), "a").Completion;

    /// <summary>A run's context: the states go on until <see cref="Transitions"/> transitions were made.</summary>
    public sealed class Lap
    {
        private int _visits;

        public bool Done() => ++_visits > Transitions;
    }
}
