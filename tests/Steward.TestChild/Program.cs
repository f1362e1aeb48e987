using Steward.TestChild;

// Each scenario prints protocol lines on stdout that the test waits for, and exits with a code the test checks.
return args.FirstOrDefault() switch
{
    "catch-signals" => await CatchSignalsScenario.RunAsync(),
    "nursery-shutdown" => await NurseryShutdownScenario.RunAsync(),
    "tasklet-signal" => await TaskletSignalScenario.RunAsync(),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Steward.TestChild <scenario>; scenarios: catch-signals, nursery-shutdown, tasklet-signal");
    return 64;
}
