using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;

namespace Steward.Support;

/// <summary>
/// Argument checks whose messages name the object that rejected the argument, for example
/// <c>RunState 'poller': body must not be null.</c> The check is a null test and nothing else: the message is built
/// only on the throw path, in a method that is never inlined, so guarded hot paths stay allocation-free.
/// </summary>
internal static class Guard
{
    /// <summary>Throws <see cref="ArgumentNullException"/> naming <paramref name="owner"/> (and <paramref name="name"/>) if <paramref name="value"/> is null.</summary>
    /// <typeparam name="TValue">The argument type (generic, so a value type is never boxed).</typeparam>
    /// <param name="value">The argument.</param>
    /// <param name="owner">The kind of object, or the method, that rejects it: <c>RunState</c>, <c>AsyncCondition</c>.</param>
    /// <param name="name">The object's name, quoted in the message; none if null.</param>
    /// <param name="paramName">Filled in by the compiler.</param>
    public static void NotNull<TValue>(
        [NotNull] TValue? value,
        string owner,
        string? name = null,
        [CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value is null)
        {
            ThrowNull(owner, name, paramName);
        }
    }

    /// <summary>Throws <see cref="ArgumentNullException"/> naming an instance of <paramref name="ownerType"/> (written as
    /// C# spells it, e.g. <c>Pool&lt;Item&gt;</c>) if <paramref name="value"/> is null.</summary>
    /// <typeparam name="TValue">The argument type.</typeparam>
    /// <param name="value">The argument.</param>
    /// <param name="ownerType">The type of the object that rejects it.</param>
    /// <param name="name">The object's name, quoted in the message; none if null.</param>
    /// <param name="paramName">Filled in by the compiler.</param>
    public static void NotNull<TValue>(
        [NotNull] TValue? value,
        Type ownerType,
        string? name = null,
        [CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value is null)
        {
            ThrowNull(ownerType, name, paramName);
        }
    }

    /// <summary>Throws <see cref="ArgumentNullException"/> if <paramref name="value"/> is null, naming the owner as
    /// <paramref name="describeOwner"/> describes it from <paramref name="state"/> (called only then; pass a static lambda).</summary>
    /// <typeparam name="TValue">The argument type.</typeparam>
    /// <typeparam name="TState">What the description is made from.</typeparam>
    /// <param name="value">The argument.</param>
    /// <param name="state">Passed to <paramref name="describeOwner"/>.</param>
    /// <param name="describeOwner">Describes the owner, e.g. <c>static n =&gt; $"MultiOpen.Create(\"{n}\")"</c>.</param>
    /// <param name="paramName">Filled in by the compiler.</param>
    public static void NotNull<TValue, TState>(
        [NotNull] TValue? value,
        TState state,
        Func<TState, string> describeOwner,
        [CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value is null)
        {
            ThrowNullDescribed(state, describeOwner, paramName);
        }
    }

    /// <summary>Writes <paramref name="type"/> as C# spells it: <c>Pool&lt;Item&gt;</c>, not <c>Pool`1</c>.</summary>
    /// <param name="type">The type.</param>
    /// <returns>Its name with its type arguments.</returns>
    public static string DisplayName(Type type)
    {
        if (!type.IsGenericType)
        {
            return type.Name;
        }

        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        var text = new StringBuilder(tick < 0 ? name : name[..tick]).Append('<');
        var arguments = type.GetGenericArguments();
        for (var i = 0; i < arguments.Length; i++)
        {
            text.Append(i == 0 ? "" : ", ").Append(DisplayName(arguments[i]));
        }

        return text.Append('>').ToString();
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNull(string owner, string? name, string? paramName) =>
        throw new ArgumentNullException(
            paramName,
            name is null ? $"{owner}: {paramName} must not be null." : $"{owner} '{name}': {paramName} must not be null.");

    /// <summary>The throw path of <see cref="NotNull{TValue}(TValue, Type, string?, string?)"/>, for a hot path that
    /// tests for null itself so that not even the owner's type is loaded unless the argument is null.</summary>
    /// <param name="ownerType">The type of the object that rejects the argument.</param>
    /// <param name="name">The object's name, quoted in the message; none if null.</param>
    /// <param name="paramName">The parameter's name.</param>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowNull(Type ownerType, string? name, string? paramName) =>
        ThrowNull(DisplayName(ownerType), name, paramName);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNullDescribed<TState>(TState state, Func<TState, string> describeOwner, string? paramName) =>
        ThrowNull(describeOwner(state), null, paramName);
}
