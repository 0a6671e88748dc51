using BenchmarkDotNet.Running;

// `dotnet run -c Release -- model-size` prints allocation vs model size; anything else goes to BenchmarkDotNet
// (e.g. `dotnet run -c Release -- --filter '*' --job short`).
if (args is ["model-size"])
{
    Berth.Benchmarks.ModelSize.Run();
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Berth.Benchmarks.ValidateBenchmarks).Assembly).Run(args);
