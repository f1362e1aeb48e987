namespace Steward.Tasklets;

/// <summary>
/// <see cref="WaitFor.Event{TArgs}"/>: fires when a .NET event is raised, with the event arguments as the event.
/// Subscribed while armed, unsubscribed when disarmed.
/// </summary>
/// <typeparam name="TArgs">The event arguments type.</typeparam>
internal sealed class EventCondition<TArgs>(Action<EventHandler<TArgs>> add, Action<EventHandler<TArgs>> remove) : WaitCondition
{
    private EventHandler<TArgs>? _handler; // loop thread only: subscribed while non-null

    public override string ToString() => $"WaitFor.Event<{typeof(TArgs).Name}>()";

    protected internal override void Arm(Tasklet tasklet)
    {
        if (_handler is not null)
        {
            return;
        }

        var generation = Generation;
        EventHandler<TArgs> handler = (_, args) => FireArmed(generation, args);
        add(handler);
        _handler = handler;
    }

    protected internal override void Disarm()
    {
        if (_handler is { } handler)
        {
            _handler = null;
            remove(handler);
        }
    }
}
