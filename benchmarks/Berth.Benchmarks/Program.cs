using BenchmarkDotNet.Running;

// `dotnet run -c Release -- model-size` prints allocation vs model size, `-- floor` the cost of tokenizing alone; anything else goes to BenchmarkDotNet
// (e.g. `dotnet run -c Release -- --filter '*' --job short`).
if (args is ["floor"])
{
    Berth.Benchmarks.Floor.Run();
    return;
}
if (args is ["model-size"])
{
    Berth.Benchmarks.ModelSize.Run();
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Berth.Benchmarks.ValidateBenchmarks).Assembly).Run(args);
