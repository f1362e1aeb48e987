using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Steward.Diagnostics;

namespace Steward.StateMachines;

/// <summary>
/// One run of a <see cref="StateMachine{T}"/>, from <see cref="StateMachine{T}.Start"/> until a state ends it, it faults
/// or it is cancelled: the current state, the transitions so far, and the outcome.
/// </summary>
/// <remarks>
/// Every transition (the initial state included, as <c>(null, initial)</c>) is recorded in <see cref="History"/> (the
/// most recent ones, as many as the machine's <see cref="StateMachine{T}.HistoryCapacity"/>), counted in telemetry and
/// raised as <see cref="Transitioned"/>. Thread safety: every member may be read from any thread.
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The token source has no timer and is never linked; state bodies may hold its token after the run, "
                    + "so it is left to the GC (as RunState does).")]
public sealed class StateMachineRun
{
    private readonly Lock _lock = new();
    private readonly IReadOnlyList<string> _stateNames; // the machine's states, by index: what the history stores
    private readonly int _historyCapacity;
    private (int From, int To)[] _history = []; // a ring buffer of state indexes (-1: none), guarded by _lock
    private int _historyStart; // the oldest entry; guarded by _lock
    private int _historyCount; // guarded by _lock
    private readonly CancellationTokenSource _cts = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private readonly Action<StateMachineRun, string?, string>? _observer;
    private CancellationTokenRegistration _external; // the token given to Start; disposed when the run ends
    private volatile string _current;
    private volatile Exception? _exception;

    internal StateMachineRun(
        string machineName,
        IReadOnlyList<string> stateNames,
        int historyCapacity,
        string initial,
        ILogger logger,
        Action<StateMachineRun, string?, string>? observer)
    {
        MachineName = machineName;
        _stateNames = stateNames;
        _historyCapacity = historyCapacity;
        _current = initial;
        _logger = logger;
        _observer = observer;
    }

    /// <summary>
    /// Raised after every transition recorded from the moment of subscription, with (run, from, to), in the flow that made
    /// it, before the new state's body runs; the initial transition <c>(null, initial)</c> happens inside
    /// <see cref="StateMachine{T}.Start"/> (use <see cref="StateMachineBuilder{T}.OnTransition"/> to see it). A handler
    /// that throws is logged and does not disturb the run.
    /// </summary>
    public event Action<StateMachineRun, string?, string>? Transitioned;

    /// <summary>The machine's name.</summary>
    public string MachineName { get; }

    /// <summary>The current state; after the run ended, the state it ended in.</summary>
    public string Current => _current;

    /// <summary>
    /// The most recent transitions, oldest first: a snapshot. A run keeps as many as its machine's
    /// <see cref="StateMachine{T}.HistoryCapacity"/> (set by <see cref="StateMachineBuilder{T}.History"/>; the last 64 by
    /// default), dropping the oldest beyond that; the first transition of a run is <c>(null, initial)</c>. Empty when the
    /// history is off.
    /// </summary>
    public IReadOnlyList<(string? From, string To)> History
    {
        get
        {
            lock (_lock)
            {
                var snapshot = new (string? From, string To)[_historyCount];
                for (var i = 0; i < snapshot.Length; i++)
                {
                    var (from, to) = _history[(_historyStart + i) % _history.Length];
                    snapshot[i] = (from < 0 ? null : _stateNames[from], _stateNames[to]);
                }

                return snapshot;
            }
        }
    }

    /// <summary>
    /// Completes when the run ends: successfully when a state returns <see cref="StateContext.End"/>; faulted with the
    /// exception a state (or an <c>OnStart</c> callback) threw, an uncaught <see cref="InvalidTransitionException"/>
    /// included; cancelled after <see cref="Cancel"/> when a state gives up with an <see cref="OperationCanceledException"/>
    /// or when a state finishes after the cancel (no new state starts once cancelled: the run checks between any two
    /// states, synchronous ones included). A failure is logged and marked
    /// observed, so a completion nobody awaits never raises <see cref="TaskScheduler.UnobservedTaskException"/>.
    /// </summary>
    public Task Completion => _completion.Task;

    /// <summary>The exception that faulted the run; <see langword="null"/> while running, after success, or when cancelled.</summary>
    public Exception? Exception => _exception;

    /// <summary><see langword="true"/> once <see cref="Completion"/> completed.</summary>
    public bool IsCompleted => _completion.Task.IsCompleted;

    /// <summary>The run's token, given to every state as <see cref="StateContext.Token"/>.</summary>
    public CancellationToken Token => _cts.Token;

    private string DebuggerDisplay =>
        $"{MachineName}: {_current}{(_completion.Task.IsCompleted ? $" ({_completion.Task.Status})" : "")}";

    /// <summary>Cancels the run's token: the current state sees it, and no new state starts. Idempotent.</summary>
    public void Cancel() => _cts.Cancel();

    /// <inheritdoc/>
    public override string ToString() => $"StateMachineRun '{MachineName}' in '{_current}'";

    internal void LinkTo(CancellationToken cancellationToken) =>
        _external = cancellationToken.UnsafeRegister(static state => ((StateMachineRun)state!).Cancel(), this);

    /// <summary>
    /// Records a transition, then tells the observers, outside the lock. Allocates nothing once the history reached its
    /// capacity (nor when nobody listens to the log, the metrics or the events).
    /// </summary>
    internal void Record(StateDeclaration? fromState, StateDeclaration toState)
    {
        var from = fromState?.Name;
        var to = toState.Name;
        if (_historyCapacity > 0)
        {
            lock (_lock)
            {
                AddToHistory(fromState?.Index ?? -1, toState.Index);
                _current = to;
            }
        }
        else
        {
            _current = to;
        }

        StateMachineLog.Transitioned(_logger, MachineName, from ?? "(start)", to);
        StewardMetrics.StateMachineTransition(MachineName, from, to);
        Notify(_observer, from, to);
        Notify(Transitioned, from, to);
    }

    internal void Succeed()
    {
        _external.Dispose();
        _completion.TrySetResult();
    }

    internal void Fail(Exception exception)
    {
        _external.Dispose();
        _exception = exception;
        StateMachineLog.Faulted(_logger, MachineName, _current, exception);
        _completion.TrySetException(exception);
        _ = _completion.Task.Exception; // observed: logged above, so no UnobservedTaskException if nobody awaits it
    }

    internal void EndCancelled()
    {
        _external.Dispose();
        _completion.TrySetCanceled(_cts.Token);
    }

    /// <summary>Appends to the ring buffer: grows it (doubling) up to the capacity, then overwrites the oldest entry.</summary>
    private void AddToHistory(int from, int to)
    {
        if (_historyCount == _history.Length)
        {
            if (_history.Length < _historyCapacity)
            {
                // Not wrapped yet (it only wraps once full at capacity): the entries are in order from index 0.
                var grown = new (int From, int To)[(int)Math.Min(Math.Max(_history.Length * 2L, 8), _historyCapacity)];
                Array.Copy(_history, grown, _historyCount);
                _history = grown;
            }
            else
            {
                _history[_historyStart] = (from, to);
                _historyStart = _historyStart + 1 == _history.Length ? 0 : _historyStart + 1;
                return;
            }
        }

        var index = _historyStart + _historyCount;
        _history[index >= _history.Length ? index - _history.Length : index] = (from, to);
        _historyCount++;
    }

    private void Notify(Action<StateMachineRun, string?, string>? handlers, string? from, string to)
    {
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in Delegate.EnumerateInvocationList(handlers))
        {
            try
            {
                handler(this, from, to);
            }
            catch (Exception ex)
            {
                StateMachineLog.ObserverThrew(_logger, MachineName, from ?? "(start)", to, ex);
            }
        }
    }
}
