using Microsoft.Extensions.Options;

namespace Steward.Hosting;

/// <summary>Fails Steward's settings, at start, while a JSON configuration file of the host does not parse: the start
/// is refused with exit code 2 and one line naming the file, line and position (see <see cref="ConfigurationFiles"/>).
/// </summary>
internal sealed class JsonFilesValidator(ConfigurationFiles files) : IValidateOptions<StewardOptions>
{
    public ValidateOptionsResult Validate(string? name, StewardOptions options) =>
        files.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
