namespace Steward.Tasklets;

/// <summary><see cref="WaitFor.Task"/>: fires when the task completes (in any way), with the task as the event.</summary>
internal sealed class TaskCondition(Task task) : WaitCondition
{
    private bool _watching; // loop thread only: a continuation for the current arming is attached

    public override string ToString() => $"WaitFor.Task(#{task.Id})";

    protected internal override void Arm(Tasklet tasklet)
    {
        var generation = Generation;
        if (task.IsCompleted)
        {
            FireLater(generation, task);
            return;
        }

        if (!_watching)
        {
            _watching = true;

            // A continuation cannot be detached; a disarmed arming's continuation finds its generation stale.
            task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() => FireArmed(generation, task));
        }
    }

    protected internal override void Disarm() => _watching = false;
}
