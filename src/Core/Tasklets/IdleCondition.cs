namespace Steward.Tasklets;

/// <summary>
/// <see cref="WaitFor.Idle"/>: fires when the loop has nothing else to run (its ready queue is empty). One idle waiter
/// fires per idle moment; several take turns.
/// </summary>
internal sealed class IdleCondition : WaitCondition
{
    private TaskletLoop? _loop; // loop thread only: where it is registered while armed

    public override string ToString() => "WaitFor.Idle()";

    /// <summary>Called by the loop, on its thread, at an idle moment while the owner waits.</summary>
    internal void FireNow() => Fire();

    protected internal override void Arm(Tasklet tasklet)
    {
        if (_loop is null)
        {
            _loop = tasklet.Loop;
            _loop.AddIdle(this);
        }
    }

    protected internal override void Disarm()
    {
        _loop?.RemoveIdle(this);
        _loop = null;
    }
}
