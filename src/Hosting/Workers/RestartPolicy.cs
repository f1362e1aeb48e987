namespace Steward.Hosting;

/// <summary>When a worker instance is restarted.</summary>
public enum RestartPolicy
{
    /// <summary>Never: a failure gives up at once (the host stops with exit code 1); a normal return stops the instance.</summary>
    Never,

    /// <summary>After a failure; a normal return stops the instance.</summary>
    OnFailure,

    /// <summary>After a failure and after a normal return.</summary>
    Always,
}
