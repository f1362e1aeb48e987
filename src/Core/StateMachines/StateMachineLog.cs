using Microsoft.Extensions.Logging;
using Steward.Diagnostics;

namespace Steward.StateMachines;

/// <summary>The log messages of the state machines (source-generated).</summary>
internal static partial class StateMachineLog
{
    [LoggerMessage(EventId = StewardEventIds.StateMachines.Transitioned, Level = LogLevel.Debug,
        Message = "State machine '{Machine}': {From} -> {To}.")]
    internal static partial void Transitioned(ILogger logger, string machine, string from, string to);

    [LoggerMessage(EventId = StewardEventIds.StateMachines.ObserverThrew, Level = LogLevel.Error,
        Message = "State machine '{Machine}': a transition observer threw on {From} -> {To}.")]
    internal static partial void ObserverThrew(ILogger logger, string machine, string from, string to, Exception exception);

    [LoggerMessage(EventId = StewardEventIds.StateMachines.Faulted, Level = LogLevel.Warning,
        Message = "State machine '{Machine}' faulted in state '{State}'.")]
    internal static partial void Faulted(ILogger logger, string machine, string state, Exception exception);
}
