"""Layer 1: the compiled core's Python face: fills, seeds and streams, shapes and slices,
dtypes, threads and SIMD paths."""
