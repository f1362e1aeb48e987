namespace Steward.Tasklets;

/// <summary>
/// <see cref="WaitFor.Tasklet"/>: fires when the tasklet finishes, with its return value as the event. On an already
/// finished tasklet it fires asynchronously (from the loop's queue, never inline), again at each wait that includes it.
/// </summary>
internal sealed class TaskletCondition(Tasklet target) : WaitCondition
{
    private int _handle; // loop thread only: the join callback while registered

    public override string ToString() => $"WaitFor.Tasklet('{target.Name}')";

    protected internal override void Arm(Tasklet tasklet)
    {
        if (ReferenceEquals(tasklet, target))
        {
            throw new ArgumentException($"Tasklet '{tasklet.Name}' cannot wait for itself to finish: it would wait forever.");
        }

        var generation = Generation;
        if (target.State == TaskletState.Finished)
        {
            FireLater(generation, target.ReturnValue);
            return;
        }

        if (_handle == 0)
        {
            // Runs on the target's loop (maybe another one); FireArmed marshals to ours. If the target finished just
            // now, the callback still runs, from a queued item.
            _handle = target.AddJoinCallback((_, returnValue) => FireArmed(generation, returnValue));
        }
    }

    protected internal override void Disarm()
    {
        if (_handle != 0)
        {
            target.TryRemoveJoinCallback(_handle); // false when it already ran: nothing to undo
            _handle = 0;
        }
    }
}
