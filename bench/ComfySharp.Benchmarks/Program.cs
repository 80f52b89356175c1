using BenchmarkDotNet.Running;

// Runs the benchmark suites in-process (BenchmarkDotNet's default rebuild of this project, which
// copies libtorch, takes minutes on a 2-core machine):
//   dotnet run -c Release --project bench/ComfySharp.Benchmarks -- --filter '*' --inProcess
// Add '--job short' for a quick look; omit it for publishable figures.
// bench/inference.sh asks for the deterministic random checkpoints of golden/README.md: `-- --write-checkpoint sd15|sdxl`
// writes it (once; cached under $TMPDIR/comfysharp-golden) and prints its path.
if (args is ["--write-checkpoint", string kind])
{
    Console.WriteLine(kind switch
    {
        "sd15" => ComfySharp.TestKit.RandomSd15Checkpoint.EnsureFile(),
        "sdxl" => ComfySharp.TestKit.RandomSdxlCheckpoint.EnsureFile(),
        _ => throw new ArgumentException($"--write-checkpoint: unknown kind '{kind}' (sd15 or sdxl)"),
    });
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
