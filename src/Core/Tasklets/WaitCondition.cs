using System.Diagnostics;

namespace Steward.Tasklets;

/// <summary>
/// Something a tasklet can wait for: pass it to <see cref="Tasklet.WaitAsync(WaitCondition[])"/>; the wait returns the
/// first condition that fires. Subclass it to write your own: start the event source in <see cref="Arm"/>, stop it in
/// <see cref="Disarm"/>, and call <see cref="Fire"/> (from any thread) when the event happens. In another assembly,
/// override them as <c>protected override void Arm(Tasklet tasklet)</c> and <c>protected override void Disarm()</c>.
/// Ported from gtasklet's <c>WaitCondition</c>.
/// </summary>
/// <remarks>
/// <para>
/// Contract. The loop calls <see cref="Arm"/> and <see cref="Disarm"/> on its own thread. <see cref="Arm"/> is called at
/// <em>every</em> wait that includes the condition, so it must be idempotent while armed: a periodic source keeps
/// running (a timeout keeps its schedule), a one-shot source that already fired starts again. A condition stays armed
/// between consecutive waits that include it and is disarmed by the first wait that leaves it out, or when its tasklet
/// finishes. A condition is armed by one tasklet at a time.
/// </para>
/// <para>
/// <see cref="Fire"/> is thread-safe: called off the loop thread it marshals to the loop before touching the tasklet.
/// A fire while the condition is not armed, or one queued before a <see cref="Disarm"/> and arriving after it, is
/// ignored. A fire while the tasklet is not waiting (it is running, or another condition won its current wait) is kept
/// for its next wait that includes the condition; a condition holds at most one such pending fire (later ones
/// coalesce), and the pending fire is forgotten when the condition is disarmed.
/// </para>
/// <para>
/// A source whose callbacks cannot be withdrawn (a task continuation, a callback already on its way from another
/// thread) captures <see cref="Generation"/> in <see cref="Arm"/> and fires through
/// <see cref="FireArmed(int, object?)"/>, so a late callback of an earlier arming is dropped instead of firing a later
/// one. A condition that already holds when armed should fire with <see cref="FireLater(int, object?)"/>, which
/// delivers asynchronously like the built-in conditions (a <see cref="Fire"/> inside <see cref="Arm"/> is delivered by
/// that same wait, at once).
/// </para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public abstract class WaitCondition
{
    private static readonly SendOrPostCallback s_deliverFire = DeliverFire;

    // Written on the owner's loop thread only (ArmFor/DisarmNow/Reissue); read by Fire on any thread. The generation
    // changes at every arming, disarming and restart, so a fire marshalled under an old generation is dropped.
    private volatile Tasklet? _owner;
    private volatile int _generation;
    private object? _event;

    /// <summary>Creates a condition, not armed.</summary>
    protected WaitCondition()
    {
    }

    /// <summary><see langword="true"/> while armed by a tasklet's wait.</summary>
    public bool IsArmed => _owner is not null;

    /// <summary>The tasklet whose wait armed the condition; <see langword="null"/> when not armed.</summary>
    public Tasklet? ArmedBy => _owner;

    /// <summary>
    /// What came with the firing last returned by a wait: the accepted <see cref="Message"/>, the awaited tasklet's
    /// return value, the process's exit code, the event's arguments, the completed task, the socket, the signal, or
    /// whatever a custom condition passed to <see cref="Fire"/>.
    /// </summary>
    public object? Event => _event;

    /// <summary>
    /// The current arming's generation: it changes at every arming, disarming and restart. Capture it in <see cref="Arm"/>
    /// when starting a source whose late callbacks must be ignored, and fire with <see cref="FireArmed(int, object?)"/>.
    /// (Read it on the loop thread, where it changes.)
    /// </summary>
    protected internal int Generation => _generation;

    /// <summary>
    /// Starts (or, when already armed, keeps or restarts) the event source for <paramref name="tasklet"/>.
    /// Called on the loop thread at every wait that includes the condition; see the class remarks.
    /// </summary>
    /// <param name="tasklet">The waiting tasklet.</param>
    protected internal abstract void Arm(Tasklet tasklet);

    /// <summary>Stops the event source. Called on the loop thread when a wait leaves the condition out, or when its
    /// tasklet finishes. Fires after this returns are ignored.</summary>
    protected internal abstract void Disarm();

    /// <summary>Reports that the condition holds. Thread-safe; ignored when not armed.</summary>
    /// <param name="evt">What came with it, exposed as <see cref="Event"/> once the wait returns the condition.</param>
    protected void Fire(object? evt = null) => FireArmed(_generation, evt);

    /// <summary>Reports that the condition holds for the arming of <paramref name="generation"/>: dropped if the condition
    /// was disarmed, re-armed or restarted since. Thread-safe: inline on the owner's loop thread, marshalled to it
    /// otherwise.</summary>
    /// <param name="generation">The <see cref="Generation"/> captured when the source was started.</param>
    /// <param name="evt">What came with it, exposed as <see cref="Event"/> once the wait returns the condition.</param>
    protected internal void FireArmed(int generation, object? evt)
    {
        var owner = _owner;
        if (owner is null || generation != _generation)
        {
            return;
        }

        if (owner.Loop.IsLoopThread)
        {
            owner.OnConditionFired(this, evt);
        }
        else
        {
            owner.Loop.Enqueue(new WorkItem(WorkKind.Callback, null, s_deliverFire, new FireRequest(this, generation, evt)));
        }
    }

    /// <summary>Reports that the condition holds for the arming of <paramref name="generation"/>, asynchronously: queued
    /// on the owner's loop even when called there (a condition that already holds when armed fires this way, never inline
    /// from <see cref="Arm"/>). Thread-safe; dropped, like <see cref="FireArmed(int, object?)"/>, if that arming is over by
    /// the time it runs.</summary>
    /// <param name="generation">The <see cref="Generation"/> of the arming to fire for.</param>
    /// <param name="evt">What came with it, exposed as <see cref="Event"/> once the wait returns the condition.</param>
    protected internal void FireLater(int generation, object? evt)
    {
        var owner = _owner;
        if (owner is not null && generation == _generation)
        {
            owner.Loop.Enqueue(new WorkItem(WorkKind.Callback, null, s_deliverFire, new FireRequest(this, generation, evt)));
        }
    }

    /// <summary>Arms for <paramref name="tasklet"/> (loop thread). On failure the condition is left disarmed.</summary>
    internal void ArmFor(Tasklet tasklet)
    {
        _generation++;
        _owner = tasklet;
        try
        {
            Arm(tasklet);
        }
        catch
        {
            _owner = null;
            _generation++;
            throw;
        }
    }

    /// <summary>Disarms (loop thread): later fires and fires already queued are ignored.</summary>
    internal void DisarmNow()
    {
        _owner = null;
        _generation++;
        Disarm();
    }

    /// <summary>Starts a new generation while staying armed (loop thread), so fires of the old schedule are dropped;
    /// forgets a pending fire. Returns the new generation.</summary>
    internal int Reissue()
    {
        var generation = ++_generation;
        _owner?.ForgetPendingFire(this);
        return generation;
    }

    internal void SetEvent(object? evt) => _event = evt;

    private static void DeliverFire(object? state)
    {
        var request = (FireRequest)state!;
        var condition = request.Condition;
        if (condition._owner is { } owner && condition._generation == request.Generation)
        {
            owner.OnConditionFired(condition, request.Event);
        }
    }

    private sealed record FireRequest(WaitCondition Condition, int Generation, object? Event);
}
