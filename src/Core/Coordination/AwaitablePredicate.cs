using System.Runtime.CompilerServices;
using Steward.Support;

namespace Steward.Coordination;

/// <summary>
/// A predicate that can be awaited: <c>await p</c> completes once the predicate holds, re-testing it each time its
/// <see cref="Condition"/> is notified; <c>if (p)</c> tests it now. Ported from codestare's <c>awaitable_predicate</c>.
/// </summary>
/// <remarks>
/// Whoever changes the state the predicate reads must notify <see cref="Condition"/> (holding its lock). With a
/// timeout, an await that does not see the predicate hold in time throws <see cref="TimeoutException"/>; the predicate
/// can be awaited again afterwards.
/// </remarks>
public sealed class AwaitablePredicate
{
    private readonly Func<bool> _predicate;
    private readonly TimeSpan? _timeout;

    /// <summary>Creates the awaitable predicate.</summary>
    /// <param name="predicate">The condition, evaluated under the condition's lock.</param>
    /// <param name="condition">The condition notified when the state changes; a new one by default.</param>
    /// <param name="timeout">How long an await may wait; unlimited by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative.</exception>
    public AwaitablePredicate(Func<bool> predicate, AsyncCondition? condition = null, TimeSpan? timeout = null)
    {
        Guard.NotNull(predicate, "AwaitablePredicate");
        if (timeout is { } t && t < TimeSpan.Zero && t != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), t, "An AwaitablePredicate timeout must not be negative.");
        }

        _predicate = predicate;
        Condition = condition ?? new AsyncCondition();
        _timeout = timeout;
    }

    /// <summary>The condition to notify when the predicate's state changes.</summary>
    public AsyncCondition Condition { get; }

    /// <summary>Tests the predicate now (without the lock).</summary>
    /// <param name="predicate">The awaitable predicate.</param>
    public static implicit operator bool(AwaitablePredicate predicate)
    {
        Guard.NotNull(predicate, "AwaitablePredicate");
        return predicate._predicate();
    }

    /// <summary>Tests the predicate now (without the lock).</summary>
    /// <returns>The predicate's current value.</returns>
    public bool ToBoolean() => _predicate();

    /// <summary>Lets <c>await predicate</c> wait until it holds.</summary>
    /// <returns>The awaiter.</returns>
    public TaskAwaiter GetAwaiter() => WaitAsync().GetAwaiter();

    /// <summary>Waits until the predicate holds.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes once the predicate holds.</returns>
    /// <exception cref="TimeoutException">The timeout given at construction elapsed first.</exception>
    public async Task WaitAsync(CancellationToken cancellationToken = default)
    {
        using var deadline = _timeout is { } timeout && timeout != Timeout.InfiniteTimeSpan
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)
            : null;
        deadline?.CancelAfter(_timeout!.Value);
        var token = deadline?.Token ?? cancellationToken;
        try
        {
            using (await Condition.LockAsync(token).ConfigureAwait(false))
            {
                await Condition.WaitForAsync(_predicate, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (deadline is not null && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The awaited predicate did not become true within {_timeout}.");
        }
    }
}
