using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/VoiceBridge.MicroBench -- --filter '*'   (add --job short for a quick look)
// Results go under artifacts/microbench (ignored by git) unless --artifacts says otherwise.
var arguments = args.Contains("--artifacts") ? args : [.. args, "--artifacts", Path.Combine("artifacts", "microbench")];
BenchmarkSwitcher.FromAssembly(typeof(VoiceBridge.MicroBench.CodecBenchmarks).Assembly).Run(arguments);
