namespace Steward.Hosting;

/// <summary>Who processes the <c>DeferredCalls&lt;T&gt;</c> registered by <c>AddDeferredCalls&lt;T&gt;</c>.</summary>
/// <param name="Processing">The host, or the application's own loop.</param>
internal sealed record DeferredCallsMode<T>(DeferredCallProcessing Processing);
