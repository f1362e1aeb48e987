namespace Steward.Tasklets;

/// <summary>
/// A message between tasklets: a name that the receiver's <see cref="WaitFor.Messages"/> accepts, defers or discards,
/// and an optional value. Ported from gtasklet's <c>Message</c>.
/// </summary>
/// <remarks>
/// <see cref="Tasklet.SendAsync"/> sets <see cref="Sender"/> and delivers the message to <see cref="Dest"/>;
/// <see cref="Tasklet.Post"/> sets <see cref="Dest"/> to the tasklet it is called on. A message object is mutated by
/// sending it, so send a fresh one each time (or re-send one only after the previous delivery was handled).
/// </remarks>
/// <param name="Name">The message name, matched (ordinally) against the receiver's accept/defer/discard lists.</param>
/// <param name="Value">The payload.</param>
public sealed record Message(string Name, object? Value = null)
{
    /// <summary>The message name, matched (ordinally) against the receiver's accept/defer/discard lists.</summary>
    public string Name { get; init; } = Name ?? throw new ArgumentNullException(nameof(Name));

    /// <summary>The tasklet that sent it: set by <see cref="Tasklet.SendAsync"/>, and by <see cref="Tasklet.Post"/> to
    /// the tasklet posting it (<see langword="null"/> when posted from outside any tasklet).</summary>
    public Tasklet? Sender { get; internal set; }

    /// <summary>The receiving tasklet: required by <see cref="Tasklet.SendAsync"/>; set by <see cref="Tasklet.Post"/>.</summary>
    public Tasklet? Dest { get; set; }

    /// <summary>Whether a wait has deferred this message already (it is counted as deferred once).</summary>
    internal bool WasDeferred { get; set; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"Message '{Name}'{(Value is null ? "" : $" = {Value}")} from {Sender?.Name ?? "(outside)"} to {Dest?.Name ?? "(none)"}";
}
