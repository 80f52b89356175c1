using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>The conformance node pack of TESTPACK.md, loaded only with <c>--test-nodes</c>, in the reference's order.</summary>
public sealed class TestingNodes : INodePack
{
    /// <inheritdoc />
    public void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add<TestLazyMixImages>();
        registry.Add<TestVariadicAverage>();
        registry.Add<TestCustomIsChanged>();
        registry.Add<TestIsChangedWithConstants>();
        registry.Add<TestCustomValidation1>();
        registry.Add<TestCustomValidation2>();
        registry.Add<TestCustomValidation3>();
        registry.Add<TestCustomValidation4>();
        registry.Add<TestCustomValidation5>();
        registry.Add<TestDynamicDependencyCycle>();
        registry.Add<TestMixedExpansionReturns>();
        registry.Add<TestSamplingInExpansion>();
        registry.Add<TestSleep>();
        registry.Add<TestParallelSleep>();
        registry.Add<TestOutputNodeWithSocketOutput>();
        registry.Add<TestWhileLoopOpen>();
        registry.Add<TestWhileLoopClose>();
        registry.Add<TestExecutionBlocker>();
        registry.Add<TestAccumulateNode>();
        registry.Add<TestAccumulationHeadNode>();
        registry.Add<TestAccumulationTailNode>();
        registry.Add<TestAccumulationToListNode>();
        registry.Add<TestListToAccumulationNode>();
        registry.Add<TestAccumulationGetLengthNode>();
        registry.Add<TestAccumulationGetItemNode>();
        registry.Add<TestAccumulationSetItemNode>();
        registry.Add<TestForLoopOpen>();
        registry.Add<TestForLoopClose>();
        registry.Add<TestIntMathOperation>();
        registry.Add<TestMakeListNode>();
        registry.Add<TestIntConditions>();
        registry.Add<TestFloatConditions>();
        registry.Add<TestStringConditions>();
        registry.Add<TestToBoolNode>();
        registry.Add<TestBoolOperationNode>();
        registry.Add<StubImage>();
        registry.Add<StubConstantImage>();
        registry.Add<StubMask>();
        registry.Add<StubInt>();
        registry.Add<StubFloat>();
        registry.Add<TestAsyncValidation>();
        registry.Add<TestAsyncError>();
        registry.Add<TestAsyncValidationError>();
        registry.Add<TestAsyncTimeout>();
        registry.Add<TestSyncError>();
        registry.Add<TestAsyncLazyCheck>();
        registry.Add<TestDynamicAsyncGeneration>();
        registry.Add<TestAsyncResourceUser>();
        registry.Add<TestAsyncBatchProcessing>();
        registry.Add<TestAsyncConcurrentLimit>();
        registry.Add<TestAsyncProgressUpdate>();
        registry.Add<TestSyncProgressUpdate>();
        registry.Add<TestPreviewProgress>();
    }
}
