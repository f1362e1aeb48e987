using Steward.Diagnostics;
using Steward.Support;

namespace Steward.Tasklets;

/// <summary>Messages between tasklets.</summary>
public sealed partial class Tasklet
{
    // Loop thread only: messages in arrival order that no wait has taken yet (deferred ones, and those that arrived
    // while no messages condition was waiting).
    private readonly MessageQueue _inbox = new();
    private volatile MessageAction _defaultMessageAction = MessageAction.Discard;

    // Loop thread only: the condition of the last ReceiveAsync and the names it accepts, reused while they are the same.
    private MessagesCondition? _receive;
    private string[] _receiveNames = [];

    /// <summary>
    /// What a wait does with a message its <see cref="WaitFor.Messages"/> condition names in none of its lists:
    /// <see cref="MessageAction.Discard"/> by default. A message discarded this way is logged as a warning naming the
    /// message and this tasklet. Set it from the tasklet body.
    /// </summary>
    public MessageAction DefaultMessageAction
    {
        get => _defaultMessageAction;
        set => _defaultMessageAction = value;
    }

    /// <summary>The number of messages queued and not yet taken by a wait (loop thread; racy elsewhere).</summary>
    public int QueuedMessageCount => _inbox.Count;

    /// <summary>
    /// Delivers <paramref name="message"/> to this tasklet, from any thread: sets <see cref="Message.Dest"/> to this
    /// tasklet and <see cref="Message.Sender"/> to <see cref="Current"/> (the posting tasklet, or
    /// <see langword="null"/>). From another thread the message is queued to the loop; messages posted from one thread
    /// arrive in the order posted. It does not wait for the message to be handled.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <exception cref="ClosedException">This tasklet has finished. (A message that was on its way when the tasklet
    /// finished is dropped with a warning log.)</exception>
    public void Post(Message message)
    {
        Guard.NotNull(message, "Tasklet", Name);
        ThrowIfFinished(message);
        message.Dest = this;
        message.Sender = s_current;
        Deliver(message);
    }

    /// <summary>
    /// Sends <paramref name="message"/> to its <see cref="Message.Dest"/>: sets <see cref="Message.Sender"/> to this
    /// tasklet and delivers it at once (queued on the receiver, or accepted by its pending wait). This tasklet is then
    /// <see cref="TaskletState.SendingMessage"/> until it resumes, after the tasks already ready on the loop, so a
    /// receiver that accepted the message handles it before the sender goes on.
    /// </summary>
    /// <param name="message">The message, with <see cref="Message.Dest"/> set.</param>
    /// <returns>Completes when this tasklet resumes.</returns>
    /// <exception cref="InvalidOperationException">Not called by this tasklet on its loop thread, or a wait or send is
    /// still pending.</exception>
    /// <exception cref="ArgumentException"><see cref="Message.Dest"/> is not set.</exception>
    /// <exception cref="ClosedException">The destination has finished.</exception>
    public ValueTask SendAsync(Message message)
    {
        Guard.NotNull(message, "Tasklet", Name);
        ThrowIfNotCurrent(nameof(SendAsync));
        ThrowIfBusy(nameof(SendAsync));
        var dest = message.Dest ?? throw new ArgumentException(
            $"Tasklet '{Name}': SendAsync of message '{message.Name}' needs its Dest set to the receiving tasklet.", nameof(message));
        dest.ThrowIfFinished(message);

        message.Sender = this;
        _state = TaskletState.SendingMessage;
        dest.Deliver(message);

        // Yield: the resume is queued when the caller awaits (behind the receiver's, if it accepted the message).
        var token = _waiter.Begin();
        _waiter.SetResult(null);
        return new ValueTask(_waiter, token);
    }

    /// <summary>
    /// Waits for a message named one of <paramref name="accept"/> and returns it:
    /// <c>var ping = await self.ReceiveAsync("ping");</c>. The same as
    /// <c>WaitAsync&lt;Message&gt;(WaitFor.Messages(accept: [...]))</c> without a condition to keep: consecutive calls
    /// with the same names reuse one, so a receive loop allocates nothing beyond the messages.
    /// </summary>
    /// <param name="accept">The names to receive: at least one.</param>
    /// <returns>The first queued message with one of these names (deferred ones included, in arrival order), else the
    /// next to arrive.</returns>
    /// <remarks>
    /// A message with another name gets <see cref="DefaultMessageAction"/>, as with any <see cref="WaitFor.Messages"/>
    /// wait: discarded with a warning log by default; set it to <see cref="MessageAction.Defer"/> to keep such messages
    /// queued for a later wait. To wait for a message or something else (a timeout, another tasklet), pass
    /// <see cref="WaitFor.Messages"/> and the other conditions to <see cref="WaitAsync(WaitCondition[])"/> and match the
    /// result.
    /// </remarks>
    /// <exception cref="ArgumentException">No names, or a <see langword="null"/> name.</exception>
    /// <exception cref="InvalidOperationException">Not called by this tasklet on its loop thread, a wait or send is still
    /// pending, or the tasklet has finished (as <see cref="WaitAsync(WaitCondition[])"/>).</exception>
    /// <exception cref="OperationCanceledException">Thrown when awaited: the loop is stopping.</exception>
    public ValueTask<Message> ReceiveAsync(params ReadOnlySpan<string> accept)
    {
        ThrowIfNotCurrent(nameof(ReceiveAsync));
        ThrowIfBusy(nameof(ReceiveAsync));
        var messages = ReceiveCondition(accept);
        return Wait<Message>([messages], messages);
    }

    /// <summary>Handles an arriving message (loop thread): a pending wait whose messages condition accepts it
    /// takes it; discarded ones are dropped; the rest queue in arrival order.</summary>
    internal void DeliverMessage(Message message)
    {
        if (_state == TaskletState.Finished)
        {
            TaskletLog.MessageForFinishedTasklet(Loop.Logger, Name, message.Name, message.Sender?.Name ?? "outside any tasklet");
            return;
        }

        if (_waiting && _messages is { } messages)
        {
            var action = ActionFor(messages, message);
            CountMessage(message, action);
            switch (action)
            {
                case MessageAction.Accept:
                    messages.SetEvent(message);
                    _waiting = false;
                    _waiter.SetResult(message);
                    return;
                case MessageAction.Discard:
                    return;
            }
        }

        _inbox.Enqueue(message);
    }

    private void Deliver(Message message)
    {
        if (Loop.IsLoopThread)
        {
            DeliverMessage(message);
        }
        else if (!Loop.Enqueue(new WorkItem(WorkKind.Deliver, this, null, message)))
        {
            // The loop ends only after every tasklet finished, so this tasklet has finished meanwhile.
            throw FinishedException(message);
        }
    }

    /// <summary>The messages condition accepting <paramref name="accept"/>: the last one if it accepts the same names
    /// (loop thread).</summary>
    private MessagesCondition ReceiveCondition(ReadOnlySpan<string> accept)
    {
        if (_receive is { } kept && accept.SequenceEqual(_receiveNames))
        {
            return kept;
        }

        if (accept.IsEmpty)
        {
            throw new ArgumentException(
                $"Tasklet '{Name}': ReceiveAsync needs at least one message name. To take any message, set DefaultMessageAction " +
                "to Accept and wait on WaitFor.Messages().", nameof(accept));
        }

        for (var i = 0; i < accept.Length; i++)
        {
            if (accept[i] is null)
            {
                throw new ArgumentException($"Tasklet '{Name}': ReceiveAsync message name #{i} is null.", nameof(accept));
            }
        }

        var names = accept.ToArray();
        _receive = new MessagesCondition(names, null, null);
        _receiveNames = names;
        return _receive;
    }

    /// <summary>Takes the first queued message the condition accepts, dropping discarded ones on the way and leaving
    /// deferred ones in place (loop thread).</summary>
    private Message? TryTakeMessage(MessagesCondition messages)
    {
        for (var i = 0; i < _inbox.Count;)
        {
            var message = _inbox[i];
            var action = ActionFor(messages, message);
            CountMessage(message, action);
            switch (action)
            {
                case MessageAction.Accept:
                    _inbox.RemoveAt(i);
                    return message;
                case MessageAction.Discard:
                    _inbox.RemoveAt(i);
                    break;
                default:
                    i++;
                    break;
            }
        }

        return null;
    }

    /// <summary>Counts what a wait did with a message (<c>steward.tasklet.messages</c>): a message a wait defers is
    /// counted once, however many later waits leave it queued.</summary>
    private static void CountMessage(Message message, MessageAction action)
    {
        switch (action)
        {
            case MessageAction.Accept:
                StewardMetrics.TaskletMessage("accept");
                break;
            case MessageAction.Discard:
                StewardMetrics.TaskletMessage("discard");
                break;
            default:
                if (!message.WasDeferred)
                {
                    message.WasDeferred = true;
                    StewardMetrics.TaskletMessage("defer");
                }

                break;
        }
    }

    private MessageAction ActionFor(MessagesCondition messages, Message message)
    {
        if (messages.TryGetAction(message.Name, out var action))
        {
            return action;
        }

        action = _defaultMessageAction;
        if (action == MessageAction.Discard)
        {
            TaskletLog.MessageDiscarded(Loop.Logger, Name, message.Name, message.Sender?.Name ?? "outside any tasklet");
        }

        return action;
    }

    private void ThrowIfFinished(Message message)
    {
        if (_state == TaskletState.Finished)
        {
            throw FinishedException(message);
        }
    }

    private ClosedException FinishedException(Message message) =>
        new($"Tasklet '{Name}' has finished: message '{message.Name}' cannot be delivered to it.");
}
