namespace Steward.Hosting;

/// <summary>Who runs the calls of a deferred-call queue added with <c>AddDeferredCalls</c>.</summary>
public enum DeferredCallProcessing
{
    /// <summary>The host: the queue is processed in the background (<c>ProcessAsync</c>) from the moment the host has
    /// started, and drained at the stop.</summary>
    Host,

    /// <summary>The application: its own loop calls <c>ProcessPending()</c> between its critical sections (or
    /// <c>ProcessAsync</c>); the host only drains what is left at the stop, after the workers have stopped.</summary>
    Owner,
}
