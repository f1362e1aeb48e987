using Akka.Actor;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Steward.Deferred;

namespace Steward.Benchmarks.Peers;

/// <summary>
/// Deferred calls against Akka.NET 1.5.75 (the baseline) for the two ways users talk to a single-threaded owner: one-way
/// messages (<c>Oneway</c> against <c>Tell</c> to a counting actor) and request/response (<c>SyncAsync</c> against
/// <c>Ask</c>).
/// </summary>
/// <remarks>
/// Same work, same guarantees on both sides: one owner processes the messages one at a time, in arrival order, none is
/// lost; the sender returns at once (one-way) or gets the result back (request/response). The actor system uses Akka's
/// default dispatcher (the .NET thread pool) and default mailbox; only its log level is raised, to keep start-up lines
/// out of the report. Differences: an Akka message is any object and the actor matches it by type, a Steward call is a
/// delegate on the owner (here a static one, so neither side allocates per one-way message); Akka's <c>Ask</c> creates
/// a temporary reply actor per request, Steward's <c>SyncAsync</c> a completion source per call.
/// One invocation: the counter is told to expect <see cref="Oneways"/> increments, they are sent from the benchmark
/// thread, and it completes when the owner has processed the last one.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class MessagingPeerBenchmarks
{
    private const int Oneways = 1_000_000;
    private const int RoundTrips = 1_000;

    private static readonly Action<Counter> s_increment = static c => c.Increment();
    private static readonly Func<Counter, int> s_read = static c => c.Value;

    private ActorSystem _system = null!;
    private IActorRef _actor = null!;
    private Counter _counter = null!;
    private DeferredCalls<Counter> _calls = null!;
    private Task _processing = null!;

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("bench", "akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING");
        _actor = _system.ActorOf(Props.Create(() => new CountingActor()), "counter");
        _counter = new Counter();
        _calls = new DeferredCalls<Counter>(_counter);
        _processing = _calls.ProcessAsync();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _calls.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _processing.GetAwaiter().GetResult();
        _system.Terminate().GetAwaiter().GetResult();
    }

    [BenchmarkCategory("1M one-way messages + processing"), Benchmark(Baseline = true, OperationsPerInvoke = Oneways)]
    public Task<int> Akka_Tell()
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _actor.Tell(new Expect(Oneways, done));
        for (var i = 0; i < Oneways; i++)
        {
            _actor.Tell(Increment.Instance);
        }

        return done.Task;
    }

    [BenchmarkCategory("1M one-way messages + processing"), Benchmark(OperationsPerInvoke = Oneways)]
    public Task<int> Steward_Oneway()
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _calls.Oneway(c => c.Expect(Oneways, done), "Expect");
        for (var i = 0; i < Oneways; i++)
        {
            _calls.Oneway(s_increment, "Increment");
        }

        return done.Task;
    }

    [BenchmarkCategory("Request/response"), Benchmark(Baseline = true, OperationsPerInvoke = RoundTrips)]
    public async Task<int> Akka_Ask()
    {
        var sum = 0;
        for (var i = 0; i < RoundTrips; i++)
        {
            sum += await _actor.Ask<int>(Read.Instance);
        }

        return sum;
    }

    [BenchmarkCategory("Request/response"), Benchmark(OperationsPerInvoke = RoundTrips)]
    public async Task<int> Steward_SyncAsync()
    {
        var sum = 0;
        for (var i = 0; i < RoundTrips; i++)
        {
            sum += await _calls.SyncAsync(s_read, name: "Read");
        }

        return sum;
    }

    /// <summary>The one-way message: a singleton, so sending allocates nothing.</summary>
    public sealed class Increment
    {
        public static readonly Increment Instance = new();
    }

    /// <summary>The request.</summary>
    public sealed class Read
    {
        public static readonly Read Instance = new();
    }

    /// <summary>Tells the counter how many increments make a batch, and whom to tell when it is done.</summary>
    public sealed record Expect(int Count, TaskCompletionSource<int> Done);

    /// <summary>The actor: counts increments, completes a batch, answers reads.</summary>
    public sealed class CountingActor : UntypedActor
    {
        private readonly Counter _counter = new();

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Increment:
                    _counter.Increment();
                    break;
                case Read:
                    Sender.Tell(_counter.Value);
                    break;
                case Expect expect:
                    _counter.Expect(expect.Count, expect.Done);
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }
    }

    /// <summary>The owner's state, the same on both sides.</summary>
    public sealed class Counter
    {
        private int _remaining;
        private TaskCompletionSource<int>? _done;

        public int Value { get; private set; }

        public void Expect(int count, TaskCompletionSource<int> done)
        {
            _remaining = count;
            _done = done;
        }

        public void Increment()
        {
            Value++;
            if (--_remaining == 0)
            {
                _done!.SetResult(Value);
            }
        }
    }
}
