namespace Steward.Tasklets;

/// <summary>The life cycle of a <see cref="Tasklet"/>. Ported from gtasklet's <c>STATE_*</c> constants.</summary>
public enum TaskletState
{
    /// <summary>Spawned and not waiting on conditions: starting, executing, or awaiting something other than
    /// <see cref="Tasklet.WaitAsync(WaitCondition[])"/>.</summary>
    Running,

    /// <summary>Inside <see cref="Tasklet.WaitAsync(WaitCondition[])"/>, until a condition fires and the tasklet resumes.</summary>
    Suspended,

    /// <summary>Inside <see cref="Tasklet.SendAsync"/>: the message is delivered and the tasklet waits for its turn
    /// to run again, after the receiver had the chance to handle it.</summary>
    SendingMessage,

    /// <summary>The body ended (returned, threw or was cancelled); <see cref="Tasklet.Completion"/> is complete.</summary>
    Finished,
}
