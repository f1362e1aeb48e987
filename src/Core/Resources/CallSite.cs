namespace Steward;

/// <summary>Where an open or close was called from, captured by caller-info attributes (no allocation).</summary>
internal readonly record struct CallSite(string File, int Line, string Member)
{
    /// <summary>"File.cs:42 Member", or just the member for a site without a file.</summary>
    public override string ToString() => File.Length == 0 ? Member : $"{Path.GetFileName(File)}:{Line} {Member}";
}
