using BenchmarkDotNet.Running;

// Every class compares a Steward operation with its BCL baseline (Baseline = true) in the same run, so results are
// ratios. Short mode for the whole suite: dotnet run -c Release --project bench/Steward.Benchmarks -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
