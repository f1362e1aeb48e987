namespace Steward.Tasklets;

/// <summary>What a waiting tasklet does with a message of a given name. When a name is given several actions, discard
/// beats defer beats accept. Ported from gtasklet's <c>ACCEPT</c>, <c>DEFER</c> and <c>DISCARD</c>.</summary>
public enum MessageAction
{
    /// <summary>Receive it: <see cref="Tasklet.WaitAsync(WaitCondition[])"/> returns the <see cref="Message"/>.</summary>
    Accept,

    /// <summary>Keep it queued, in arrival order, for a later wait that accepts it.</summary>
    Defer,

    /// <summary>Drop it.</summary>
    Discard,
}
