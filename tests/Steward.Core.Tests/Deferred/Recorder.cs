namespace Steward.Tests.Deferred;

/// <summary>A target for deferred calls that records what ran, on which thread, and whether calls overlapped.</summary>
internal sealed class Recorder
{
    private readonly Lock _lock = new();
    private readonly List<string> _ran = [];
    private int _inside;

    public int Overlaps;

    public int Value;

    public IReadOnlyList<string> Ran
    {
        get
        {
            lock (_lock)
            {
                return [.. _ran];
            }
        }
    }

    public void Record(string what)
    {
        Enter();
        try
        {
            lock (_lock)
            {
                _ran.Add(what);
            }
        }
        finally
        {
            Leave();
        }
    }

    public int Add(int amount)
    {
        Enter();
        try
        {
            return Interlocked.Add(ref Value, amount);
        }
        finally
        {
            Leave();
        }
    }

    public int Count => Ran.Count;

    private readonly string _kaboom = "#high pitched# oh no!";

    public void Kaboom() => throw new InvalidOperationException(_kaboom);

    public void Block(ManualResetEventSlim gate, TaskCompletionSource? entered = null)
    {
        Enter();
        try
        {
            entered?.TrySetResult();
            gate.Wait(TimeSpan.FromSeconds(30));
        }
        finally
        {
            Leave();
        }
    }

    public async ValueTask RecordSlowlyAsync(string what, CancellationToken cancellationToken)
    {
        Enter();
        try
        {
            await Task.Delay(20, cancellationToken);
            lock (_lock)
            {
                _ran.Add(what);
            }
        }
        finally
        {
            Leave();
        }
    }

    private void Enter()
    {
        if (Interlocked.Increment(ref _inside) > 1)
        {
            Interlocked.Increment(ref Overlaps);
        }
    }

    private void Leave() => Interlocked.Decrement(ref _inside);
}
