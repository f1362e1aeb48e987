namespace Steward.Coordination;

/// <summary>Disposes an object of unknown kind: asynchronously if it can be, else synchronously, else not at all.</summary>
internal static class Disposal
{
    /// <summary>Disposes <paramref name="resource"/>, preferring <see cref="IAsyncDisposable"/>; returns whether it was disposable.</summary>
    public static async ValueTask<bool> DisposeAsync(object? resource)
    {
        switch (resource)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                return true;
            case IDisposable disposable:
                disposable.Dispose();
                return true;
            default:
                return false;
        }
    }
}
