using Microsoft.Extensions.Logging;

namespace Steward.StateMachines;

/// <summary>The log messages of the state machines (source-generated).</summary>
internal static partial class StateMachineLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug,
        Message = "State machine '{Machine}': {From} -> {To}.")]
    internal static partial void Transitioned(ILogger logger, string machine, string from, string to);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Error,
        Message = "State machine '{Machine}': a transition observer threw on {From} -> {To}.")]
    internal static partial void ObserverThrew(ILogger logger, string machine, string from, string to, Exception exception);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning,
        Message = "State machine '{Machine}' faulted in state '{State}'.")]
    internal static partial void Faulted(ILogger logger, string machine, string state, Exception exception);
}
