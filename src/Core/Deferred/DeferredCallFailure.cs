namespace Steward.Deferred;

/// <summary>A oneway call that threw, as raised by <see cref="DeferredCalls{T}.OnewayFailed"/>.</summary>
/// <param name="Name">The call's name: the method its lambda invokes, or the explicit name it was given.</param>
/// <param name="Exception">What the call threw.</param>
public sealed record DeferredCallFailure(string Name, Exception Exception);
