using Steward.Tasklets;

namespace Steward.Hosting;

/// <summary>One <c>AddTasklets</c> callback: spawns tasklets on the host's loop once the host has started.</summary>
/// <param name="Configure">The callback.</param>
internal sealed record TaskletSetup(Action<IServiceProvider, TaskletLoop> Configure);
