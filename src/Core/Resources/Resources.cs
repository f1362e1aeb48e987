using System.Runtime.CompilerServices;

namespace Steward;

/// <summary>Helpers over <see cref="MultiOpen"/> resources.</summary>
public static class Resources
{
    /// <summary>
    /// Opens <paramref name="obj"/> if it is a <see cref="MultiOpen"/>; otherwise returns a lease that does nothing, so
    /// <c>await using (await Resources.OpenIfAsync(x))</c> fits any object.
    /// </summary>
    /// <param name="obj">Any object, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Passed to <see cref="MultiOpen.OpenAsync"/>.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <param name="callerMember">Filled in by the compiler.</param>
    /// <returns>The lease of the open, or <c>default(OpenLease)</c>.</returns>
    public static ValueTask<OpenLease> OpenIfAsync(
        object? obj,
        CancellationToken cancellationToken = default,
        [CallerFilePath] string callerFile = "",
        [CallerLineNumber] int callerLine = 0,
        [CallerMemberName] string callerMember = "") =>
        obj is MultiOpen resource
            ? resource.OpenAsync(cancellationToken, callerFile, callerLine, callerMember)
            : default;

    /// <summary>Synchronous <see cref="OpenIfAsync"/>.</summary>
    /// <param name="obj">Any object, or <see langword="null"/>.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <param name="callerMember">Filled in by the compiler.</param>
    /// <returns>The lease of the open, or <c>default(OpenLease)</c>.</returns>
    public static OpenLease OpenIf(
        object? obj,
        [CallerFilePath] string callerFile = "",
        [CallerLineNumber] int callerLine = 0,
        [CallerMemberName] string callerMember = "") =>
        obj is MultiOpen resource ? resource.Open(callerFile, callerLine, callerMember) : default;
}
