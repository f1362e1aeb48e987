using Steward.Support;

namespace Steward.Tasklets;

/// <summary>Waiting on conditions.</summary>
public sealed partial class Tasklet
{
    // Loop thread only.
    private readonly List<WaitCondition> _armed = [];     // armed by the last wait, in arming order
    private readonly List<PendingFire> _pending = [];     // fires not yet delivered, oldest first; one per condition
    private MessagesCondition? _messages;                 // the messages condition of the last wait, if any
    private bool _waiting;                                // a wait is pending and nothing has fired for it yet

    /// <summary><see langword="true"/> while a wait is pending and nothing has fired for it (loop thread).</summary>
    internal bool IsWaiting => _waiting;

    /// <summary>
    /// Suspends the tasklet until one of <paramref name="conditions"/> fires.
    /// </summary>
    /// <param name="conditions">What to wait for: at least one, at most one <see cref="WaitFor.Messages"/>.</param>
    /// <returns>The condition that fired (its <see cref="WaitCondition.Event"/> tells what came with it), or the accepted
    /// <see cref="Message"/> when a <see cref="WaitFor.Messages"/> condition accepted one.</returns>
    /// <remarks>
    /// <para>
    /// Conditions passed to consecutive waits stay armed in between, so a periodic timeout keeps its schedule;
    /// conditions missing from this wait are disarmed now, and a fire of theirs that was not delivered yet is forgotten.
    /// A fire that happened since the last wait (while the tasklet ran, or after another condition won) is delivered at
    /// once, oldest first; then queued messages the messages condition accepts, in arrival order. Otherwise the tasklet
    /// is <see cref="TaskletState.Suspended"/> until the first fire; later ones stay pending for the next wait. A
    /// message that arrives after another condition won stays queued, never lost.
    /// </para>
    /// <para>The returned <see cref="ValueTask{TResult}"/> must be awaited once, by this tasklet, before its next wait.</para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">Not called by this tasklet on its loop thread (the message names the
    /// tasklet and the caller); the tasklet already has a wait or send pending, or has finished; or a condition is armed
    /// by another tasklet.</exception>
    /// <exception cref="ArgumentException">No conditions, or more than one messages condition.</exception>
    /// <exception cref="ArgumentNullException">A condition is <see langword="null"/>.</exception>
    /// <exception cref="OperationCanceledException">Thrown when awaited: the loop is stopping.</exception>
    public ValueTask<object> WaitAsync(params WaitCondition[] conditions)
    {
        Guard.NotNull(conditions, "Tasklet", Name);
        return WaitAsync(new ReadOnlySpan<WaitCondition>(conditions));
    }

    /// <summary>Same as <see cref="WaitAsync(WaitCondition[])"/>, without allocating an array for the conditions.</summary>
    /// <param name="conditions">What to wait for.</param>
    /// <returns>The condition that fired, or the accepted <see cref="Message"/>.</returns>
    public ValueTask<object> WaitAsync(params ReadOnlySpan<WaitCondition> conditions)
    {
        ThrowIfNotCurrent(nameof(WaitAsync));
        ThrowIfBusy(nameof(WaitAsync));
        var messages = Validate(conditions);
        return Wait<object>(conditions, messages);
    }

    /// <summary>
    /// Same as <see cref="WaitAsync(WaitCondition[])"/>, with the result typed: <c>await self.WaitAsync&lt;Message&gt;(messages)</c>
    /// needs no cast.
    /// </summary>
    /// <typeparam name="TResult">What the wait returns: <see cref="Message"/> when <paramref name="conditions"/> is one
    /// <see cref="WaitFor.Messages"/> condition; a condition type (<see cref="TimeoutCondition"/>,
    /// <see cref="WaitCondition"/>) when none is; <see cref="object"/> for any mix.</typeparam>
    /// <param name="conditions">What to wait for; each must be able to return a <typeparamref name="TResult"/>.</param>
    /// <returns>The condition that fired, or the accepted <see cref="Message"/>, as a <typeparamref name="TResult"/>.</returns>
    /// <remarks>
    /// A wait returns either the condition that fired or the message its messages condition accepted, so whether every
    /// possible result is a <typeparamref name="TResult"/> is known from <paramref name="conditions"/>: it is checked
    /// before anything is armed, so a mismatch throws at once, whichever condition would have fired, and consumes
    /// nothing. To wait for a message or a timeout, use the untyped wait and match its result
    /// (<c>is Message m</c>).
    /// </remarks>
    /// <exception cref="ArgumentException">A condition cannot return a <typeparamref name="TResult"/>: the message names
    /// the tasklet, the condition and what it returns (a <see cref="Message"/> for a messages condition); also the
    /// errors of <see cref="WaitAsync(WaitCondition[])"/>. The tasklet's state is unchanged: it can wait again.</exception>
    /// <exception cref="InvalidOperationException">As <see cref="WaitAsync(WaitCondition[])"/>.</exception>
    /// <exception cref="OperationCanceledException">Thrown when awaited: the loop is stopping.</exception>
    public ValueTask<TResult> WaitAsync<TResult>(params ReadOnlySpan<WaitCondition> conditions)
        where TResult : class
    {
        ThrowIfNotCurrent(nameof(WaitAsync));
        ThrowIfBusy(nameof(WaitAsync));
        var messages = Validate(conditions);
        ThrowIfNotAll<TResult>(conditions);
        return Wait<TResult>(conditions, messages);
    }

    /// <summary>
    /// Arms <paramref name="conditions"/> (validated by the caller) and returns what is ready at once, or suspends the
    /// tasklet until the first fire. <typeparamref name="TResult"/> can hold every result (checked by the caller).
    /// </summary>
    private ValueTask<TResult> Wait<TResult>(ReadOnlySpan<WaitCondition> conditions, MessagesCondition? messages)
        where TResult : class
    {
        if (Loop.IsStopping)
        {
            return ValueTask.FromException<TResult>(Loop.StoppingException(this));
        }

        // Disarm what the previous wait armed and this one leaves out, forgetting its undelivered fire.
        for (var i = _armed.Count - 1; i >= 0; i--)
        {
            var condition = _armed[i];
            if (IndexOf(conditions, condition, conditions.Length) < 0)
            {
                _armed.RemoveAt(i);
                ForgetPendingFire(condition);
                DisarmSafely(condition);
            }
        }

        // Arm the new ones; call Arm again on the kept ones (idempotent while armed; one-shot sources restart).
        _messages = messages;
        for (var i = 0; i < conditions.Length; i++)
        {
            var condition = conditions[i];
            if (IndexOf(conditions, condition, i) >= 0)
            {
                continue; // listed twice
            }

            if (ReferenceEquals(condition.ArmedBy, this))
            {
                condition.Arm(this);
            }
            else
            {
                condition.ArmFor(this);
                _armed.Add(condition);
            }
        }

        if (_pending.Count > 0)
        {
            var fire = _pending[0];
            _pending.RemoveAt(0);
            fire.Condition.SetEvent(fire.Event);
            return new ValueTask<TResult>((TResult)(object)fire.Condition);
        }

        if (messages is not null && TryTakeMessage(messages) is { } message)
        {
            messages.SetEvent(message);
            return new ValueTask<TResult>((TResult)(object)message);
        }

        _state = TaskletState.Suspended;
        _waiting = true;
        var token = _waiter.Begin();
        return new ValueTask<TResult>(_waiter.SourceOf<TResult>(), token);
    }

    /// <summary>A condition armed by this tasklet fired (loop thread).</summary>
    internal void OnConditionFired(WaitCondition condition, object? evt)
    {
        if (_waiting)
        {
            condition.SetEvent(evt);
            _waiting = false;
            _waiter.SetResult(condition);
            return;
        }

        foreach (var pending in _pending)
        {
            if (ReferenceEquals(pending.Condition, condition))
            {
                return; // at most one pending fire per condition
            }
        }

        _pending.Add(new PendingFire(condition, evt));
    }

    /// <summary>Forgets an undelivered fire of <paramref name="condition"/> (loop thread).</summary>
    internal void ForgetPendingFire(WaitCondition condition)
    {
        for (var i = 0; i < _pending.Count; i++)
        {
            if (ReferenceEquals(_pending[i].Condition, condition))
            {
                _pending.RemoveAt(i);
                return;
            }
        }
    }

    /// <summary>Ends a pending wait with <paramref name="error"/> (loop thread); nothing if not waiting.</summary>
    internal void CancelWait(Exception error)
    {
        if (_waiting)
        {
            _waiting = false;
            _waiter.SetException(error);
        }
    }

    /// <summary>The index of <paramref name="condition"/> (by reference) among the first <paramref name="end"/>, or -1.</summary>
    private static int IndexOf(ReadOnlySpan<WaitCondition> conditions, WaitCondition condition, int end)
    {
        for (var i = 0; i < end; i++)
        {
            if (ReferenceEquals(conditions[i], condition))
            {
                return i;
            }
        }

        return -1;
    }

    private MessagesCondition? Validate(ReadOnlySpan<WaitCondition> conditions)
    {
        if (conditions.IsEmpty)
        {
            throw new ArgumentException($"Tasklet '{Name}': WaitAsync needs at least one condition; a wait on none would never end.", nameof(conditions));
        }

        MessagesCondition? messages = null;
        for (var i = 0; i < conditions.Length; i++)
        {
            var condition = conditions[i] ?? throw new ArgumentNullException(nameof(conditions), $"Tasklet '{Name}': WaitAsync condition #{i} is null.");
            if (condition.ArmedBy is { } other && !ReferenceEquals(other, this))
            {
                throw new InvalidOperationException(
                    $"Tasklet '{Name}': WaitAsync condition #{i} ({condition}) is armed by tasklet '{other.Name}'; a condition serves one tasklet at a time.");
            }

            if (condition is MessagesCondition m)
            {
                if (messages is not null && !ReferenceEquals(messages, m))
                {
                    throw new ArgumentException(
                        $"Tasklet '{Name}': WaitAsync got two messages conditions ({messages} and {m}); merge them into one WaitFor.Messages.", nameof(conditions));
                }

                messages = m;
            }
        }

        return messages;
    }

    /// <summary>Throws unless every result the wait on <paramref name="conditions"/> can return is a
    /// <typeparamref name="TResult"/>: the condition itself, or the accepted <see cref="Message"/> for a messages
    /// condition.</summary>
    private void ThrowIfNotAll<TResult>(ReadOnlySpan<WaitCondition> conditions)
    {
        for (var i = 0; i < conditions.Length; i++)
        {
            var condition = conditions[i];
            var fits = condition is MessagesCondition ? typeof(TResult).IsAssignableFrom(typeof(Message)) : condition is TResult;
            if (!fits)
            {
                var returns = condition is MessagesCondition ? "the Message it accepts" : $"itself, a {Guard.DisplayName(condition.GetType())}";
                throw new ArgumentException(
                    $"Tasklet '{Name}': WaitAsync<{Guard.DisplayName(typeof(TResult))}> waits on condition #{i} ({condition}), " +
                    $"which returns {returns}, not a {Guard.DisplayName(typeof(TResult))}. Wait with WaitAsync (untyped) and match " +
                    "the result, or pass a type every condition returns.",
                    nameof(conditions));
            }
        }
    }

    private void ThrowIfNotCurrent(string call)
    {
        if (ReferenceEquals(s_current, this) && _state != TaskletState.Finished)
        {
            return;
        }

        if (_state == TaskletState.Finished)
        {
            throw new InvalidOperationException($"Tasklet '{Name}' has finished: {call} is no longer possible.");
        }

        var caller = s_current is { } other
            ? $"tasklet '{other.Name}'"
            : Loop.IsLoopThread ? "the loop thread outside any tasklet" : $"thread {Environment.CurrentManagedThreadId}";
        throw new InvalidOperationException(
            $"Tasklet '{Name}': {call} must be called by the tasklet itself on the thread of its loop '{Loop.Name}' " +
            $"(thread {Loop.ManagedThreadId}), but was called from {caller}. Do not use ConfigureAwait(false) in tasklet bodies.");
    }

    private void ThrowIfBusy(string call)
    {
        if (_waiter.IsActive)
        {
            throw new InvalidOperationException(
                $"Tasklet '{Name}': {call} called while its previous wait or send is still pending; await each before the next.");
        }
    }

    private void DisarmSafely(WaitCondition condition)
    {
        if (ReferenceEquals(condition, _messages))
        {
            _messages = null;
        }

        try
        {
            condition.DisarmNow();
        }
        catch (Exception ex)
        {
            TaskletLog.DisarmFailed(Loop.Logger, ex, condition.ToString() ?? condition.GetType().Name, Name);
        }
    }

    /// <summary>Disarms every armed condition and forgets pending fires (loop thread; the tasklet is finishing).</summary>
    private void DisarmAll()
    {
        _waiting = false;
        _pending.Clear();
        for (var i = _armed.Count - 1; i >= 0; i--)
        {
            DisarmSafely(_armed[i]);
        }

        _armed.Clear();
        _messages = null;
    }

    private readonly record struct PendingFire(WaitCondition Condition, object? Event);
}
