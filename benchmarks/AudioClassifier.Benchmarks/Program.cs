using AudioClassifier.TestSupport;
using BenchmarkDotNet.Running;

// "stand-in-model LIKE.onnx OUT.onnx" writes a near-zero-compute model with LIKE's contract (scripts/bench-host-cpu.sh);
// anything else runs the BenchmarkDotNet suites.
if (args is ["stand-in-model", var like, var output])
{
    TestModels.WriteStandIn(like, output);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
