namespace Steward;

/// <summary>
/// An object whose activity is governed by a <see cref="Steward.RunState"/>. Implement <see cref="RunState"/>; the
/// other members forward to it. Ported from cs.resources' <c>RunStateMixin</c>.
/// </summary>
public interface IHasRunState
{
    /// <summary>The RunState that governs this object.</summary>
    RunState RunState { get; }

    /// <summary><see cref="RunState.IsCancelled"/> of <see cref="RunState"/>.</summary>
    bool IsCancelled => RunState.IsCancelled;

    /// <summary><see cref="RunState.IsRunning"/> of <see cref="RunState"/>.</summary>
    bool IsRunning => RunState.IsRunning;

    /// <summary><see cref="RunState.IsStopping"/> of <see cref="RunState"/>.</summary>
    bool IsStopping => RunState.IsStopping;

    /// <summary><see cref="RunState.IsStopped"/> of <see cref="RunState"/>.</summary>
    bool IsStopped => RunState.IsStopped;

    /// <summary>Cancels <see cref="RunState"/>; see <see cref="RunState.Cancel"/>.</summary>
    void Cancel() => RunState.Cancel();
}
