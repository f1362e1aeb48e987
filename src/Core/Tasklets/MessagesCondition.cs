namespace Steward.Tasklets;

/// <summary>
/// <see cref="WaitFor.Messages"/>: fires when a message it accepts arrives or is queued. The tasklet does the dispatch;
/// this holds the actions by message name.
/// </summary>
internal sealed class MessagesCondition : WaitCondition
{
    private readonly Dictionary<string, MessageAction> _actions = new(StringComparer.Ordinal);
    private readonly string _description;

    public MessagesCondition(IEnumerable<string>? accept, IEnumerable<string>? defer, IEnumerable<string>? discard)
    {
        // Later lists overwrite earlier ones: discard beats defer beats accept.
        Add(accept, MessageAction.Accept, nameof(accept));
        Add(defer, MessageAction.Defer, nameof(defer));
        Add(discard, MessageAction.Discard, nameof(discard));
        _description = $"WaitFor.Messages({Describe(MessageAction.Accept)}; {Describe(MessageAction.Defer)}; {Describe(MessageAction.Discard)})";
    }

    public bool TryGetAction(string name, out MessageAction action) => _actions.TryGetValue(name, out action);

    public override string ToString() => _description;

    protected internal override void Arm(Tasklet tasklet)
    {
        // The tasklet dispatches its queue against this condition's actions; nothing to start.
    }

    protected internal override void Disarm()
    {
    }

    private void Add(IEnumerable<string>? names, MessageAction action, string parameter)
    {
        if (names is null)
        {
            return;
        }

        foreach (var name in names)
        {
            _actions[name ?? throw new ArgumentException($"WaitFor.Messages: the {parameter} list contains null.", parameter)] = action;
        }
    }

    private string Describe(MessageAction action) =>
        $"{action.ToString().ToLowerInvariant()}: {string.Join(", ", _actions.Where(a => a.Value == action).Select(a => a.Key))}";
}
