// Shared by every test assembly: no test may leave a task exception unobserved.
[assembly: Steward.Tests.Support.FailOnUnobservedTaskExceptions]
