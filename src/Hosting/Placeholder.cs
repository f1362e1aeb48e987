namespace Steward.Hosting; internal static class Placeholder { }
