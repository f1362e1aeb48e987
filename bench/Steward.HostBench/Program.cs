using Steward.HostBench;

// Driver: dotnet run -c Release --project bench/Steward.HostBench [-- --workers 100,1000,10000 --rounds 5]
// Child:  Steward.HostBench --child steward|plain <workers>   (started by the driver)
if (args.Length >= 3 && args[0] == "--child")
{
    return await BenchHost.RunAsync(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
}

return await Driver.RunAsync(args);
