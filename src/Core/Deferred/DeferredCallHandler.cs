using Microsoft.Extensions.Logging;

namespace Steward.Deferred;

/// <summary>
/// The base-class form of <see cref="DeferredCalls{T}"/>: the handler is its own target, so an owner processes calls on
/// itself between its critical sections. Ported from gevent_async's <c>DeferredCallHandler</c> mixin.
/// </summary>
/// <typeparam name="TSelf">The derived type itself: <c>class Manager : DeferredCallHandler&lt;Manager&gt;</c>.</typeparam>
/// <example>
/// <code>
/// sealed class Manager : DeferredCallHandler&lt;Manager&gt;
/// {
///     public void Manage() { /* critical section */ ProcessPending(); /* more */ }
///     public void UpdateResource(Reading r) { /* runs only inside ProcessPending */ }
/// }
/// manager.Oneway(m =&gt; m.UpdateResource(reading));      // from any task
/// var resources = await manager.SyncAsync(m =&gt; m.AccessResources());
/// </code>
/// </example>
public abstract class DeferredCallHandler<TSelf> : DeferredCalls<TSelf>
    where TSelf : DeferredCallHandler<TSelf>
{
    /// <summary>Creates the handler; its <see cref="DeferredCalls{T}.Target"/> is the object itself.</summary>
    /// <param name="options">Capacity, full mode, drain timeout, name and clock; defaults if null.</param>
    /// <param name="logger">Receives oneway failures, rejections and the close summary.</param>
    protected DeferredCallHandler(DeferredCallOptions? options = null, ILogger? logger = null)
        : base(options, logger)
    {
    }
}
