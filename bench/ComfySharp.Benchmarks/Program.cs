using BenchmarkDotNet.Running;

// Runs the benchmark suites in-process (BenchmarkDotNet's default rebuild of this project, which
// copies libtorch, takes minutes on a 2-core machine):
//   dotnet run -c Release --project bench/ComfySharp.Benchmarks -- --filter '*' --inProcess
// Add '--job short' for a quick look; omit it for publishable figures.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
