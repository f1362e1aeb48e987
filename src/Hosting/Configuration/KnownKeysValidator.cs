using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Steward.Hosting;

/// <summary>Fails the options named <paramref name="optionsName"/> when their configuration section holds a key that binds to
/// nothing (see <see cref="KnownKeys"/>): at start, and on every reload.</summary>
/// <typeparam name="TOptions">The options type the section binds to.</typeparam>
internal sealed class KnownKeysValidator<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] TOptions>(
    string optionsName, string sectionPath, IConfiguration configuration) : IValidateOptions<TOptions>
    where TOptions : class
{
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The options type's properties are kept by the annotation; "
        + "nested types are those the configuration binder binds, which it keeps too.")]
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        if ((name ?? Options.DefaultName) != optionsName)
        {
            return ValidateOptionsResult.Skip;
        }

        var problems = KnownKeys.Check(configuration.GetSection(sectionPath), typeof(TOptions));
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
