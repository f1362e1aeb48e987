namespace Steward;

/// <summary>
/// Thrown by an operation that needs its object open when the object is closed or was never opened. Ported from
/// cs.resources' <c>ClosedError</c>.
/// </summary>
public class ClosedException : InvalidOperationException
{
    /// <summary>Creates the exception with a default message.</summary>
    public ClosedException()
        : base("The object is closed.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">The message, which should name the closed object.</param>
    public ClosedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and an inner exception.</summary>
    /// <param name="message">The message, which should name the closed object.</param>
    /// <param name="innerException">The cause.</param>
    public ClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
