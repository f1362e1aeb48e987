using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Steward.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Steward's options helpers for an application's own options: keep the last good values across reloads,
/// and report configuration keys that bind to nothing.</summary>
public static class StewardOptionsBuilderExtensions
{
    /// <summary>
    /// Makes every <see cref="IOptionsMonitor{TOptions}"/> of <typeparamref name="TOptions"/> a
    /// <see cref="LastGoodOptionsMonitor{TOptions}"/>: a configuration reload that does not bind or validate is logged
    /// once, naming the key and the value, and the previous options stay in force, as Steward's own settings do.
    /// </summary>
    /// <typeparam name="TOptions">The options type.</typeparam>
    /// <param name="builder">The options builder.</param>
    /// <returns>The builder.</returns>
    public static OptionsBuilder<TOptions> KeepLastGood<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(this OptionsBuilder<TOptions> builder)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<ConfigurationFiles>();
        builder.Services.TryAddSingleton<ReloadRejections>();
        builder.Services.TryAddSingleton(sp => new LastGoodOptionsMonitor<TOptions>(
            sp.GetRequiredService<IOptionsFactory<TOptions>>(),
            sp.GetServices<IOptionsChangeTokenSource<TOptions>>(),
            sp.GetRequiredService<ConfigurationFiles>(),
            sp.GetRequiredService<ReloadRejections>()));

        // A closed registration wins over the framework's open-generic IOptionsMonitor<> whatever the order.
        builder.Services.TryAddSingleton<IOptionsMonitor<TOptions>>(sp => sp.GetRequiredService<LastGoodOptionsMonitor<TOptions>>());
        return builder;
    }

    /// <summary>
    /// Fails validation (at start with <c>ValidateOnStart</c>, and on each reload) when the configuration section at
    /// <paramref name="sectionPath"/> holds a key that binds to no property of <typeparamref name="TOptions"/>, at any
    /// depth. Each failure names the key's full path and, when one is close, the property meant:
    /// "Demo:Sensors:0:Intervall is not a known setting; did you mean Interval?". Use it in place of the binder's
    /// <c>ErrorOnUnknownConfiguration</c>, whose message names neither.
    /// </summary>
    /// <typeparam name="TOptions">The options type the section binds to.</typeparam>
    /// <param name="builder">The options builder.</param>
    /// <param name="sectionPath">The section's path, as given to <c>BindConfiguration</c>.</param>
    /// <returns>The builder.</returns>
    [RequiresUnreferencedCode("Reads the public properties of TOptions and of the types they hold, as the reflection-based configuration binder does.")]
    public static OptionsBuilder<TOptions> ValidateKnownKeys<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(
        this OptionsBuilder<TOptions> builder, string sectionPath)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(sectionPath);
        var name = builder.Name;
        builder.Services.AddSingleton<IValidateOptions<TOptions>>(sp =>
            new KnownKeysValidator<TOptions>(name, sectionPath, sp.GetRequiredService<IConfiguration>()));
        return builder;
    }
}
