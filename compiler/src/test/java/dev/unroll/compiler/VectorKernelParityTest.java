package dev.unroll.compiler;

import dev.unroll.compiler.plan.KernelStyle;
import dev.unroll.compiler.plan.Planner;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every PyTorch fixture of {@link PyTorchParityTest} (losses, every parameter's gradient, dL/dx, outputs, the
 * stepper against {@code forward}, optimizer updates, imports), again with the matrix products written with the
 * Vector API ({@link KernelStyle}, 256-bit vectors: what AVX2 and AVX-512 machines both run natively), at the same
 * tolerances: float64 to 1e-9 relative, float32 to 1e-4. The vector kernels round differently from the plain ones
 * (fused multiply-adds in another order), so they are held to PyTorch itself rather than to the plain code's bits.
 */
class VectorKernelParityTest {
    @TempDir
    static Path work;

    private static List<PyTorchParityTest.Case> cases;

    @BeforeAll
    static void generateAndCompileEveryCase() throws Exception {
        cases = PyTorchParityTest.load(work, Planner.Options.DEFAULT.withKernels(KernelStyle.vector(256)));
    }

    @TestFactory
    Stream<DynamicTest> matchesPyTorch() {
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> PyTorchParityTest.check(c)));
    }
}
