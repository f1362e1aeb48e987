namespace Steward.Testing;

/// <summary>The repository the tests run from.</summary>
internal static class Repository
{
    /// <summary>The repository's root: the nearest folder above the tests' own that holds Hosting.sln.</summary>
    public static string Root
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Hosting.sln")))
            {
                root = root.Parent;
            }

            return root?.FullName ?? throw new InvalidOperationException($"{AppContext.BaseDirectory} is not inside the repository");
        }
    }
}
