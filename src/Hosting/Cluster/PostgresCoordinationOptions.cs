using Microsoft.Extensions.Options;
using Npgsql;

namespace Steward.Hosting;

/// <summary>The coordination database's connection string and where it came from (for messages); validated at start.</summary>
internal sealed class PostgresCoordinationOptions
{
    /// <summary>The default configuration key: <c>ConnectionStrings:Steward</c>.</summary>
    public const string DefaultKey = "ConnectionStrings:Steward";

    public string? ConnectionString { get; set; }

    /// <summary>Where <see cref="ConnectionString"/> came from: a configuration key, or the code.</summary>
    public string Source { get; set; } = DefaultKey;

    /// <summary>A missing or unusable connection string fails start-up (exit code 2) with one line naming its key.</summary>
    internal sealed class Validator : IValidateOptions<PostgresCoordinationOptions>
    {
        public ValidateOptionsResult Validate(string? name, PostgresCoordinationOptions options)
        {
            if (string.IsNullOrWhiteSpace(options.ConnectionString))
            {
                return ValidateOptionsResult.Fail(
                    $"{options.Source} is not set: UsePostgresCoordination needs a PostgreSQL connection string (e.g. \"Host=db;Database=app;Username=svc\").");
            }

            try
            {
                var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
                return string.IsNullOrWhiteSpace(builder.Host)
                    ? ValidateOptionsResult.Fail($"{options.Source} is not a usable PostgreSQL connection string: it names no Host.")
                    : ValidateOptionsResult.Success;
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
            {
                return ValidateOptionsResult.Fail($"{options.Source} is not a valid PostgreSQL connection string: {ex.Message}");
            }
        }
    }
}
