#!/usr/bin/env bash
# The GPU check (issue 17): on a machine with CUDA, run the GPU tests, then the GPU
# benchmark, in well under ten minutes. Run from the repository root:
#     bash benchmarks/gpu_check.sh [OUTPUT_DIR]
# The lent GPU machine has Python with torch, torchvision, pandas, scikit-learn, onnx and
# pytest, and nothing can be installed there: the package runs from this checkout, and the
# tests that need the widgets' packages are not among these.
set -u
out="${1:-${OUT:-/tmp/gpu-check}}"
mkdir -p "$out"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
PY="${PYTHON:-python3}"
{
    date -u
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi: none"
    "$PY" -c 'import torch, torchvision; print("torch", torch.__version__, "torchvision", torchvision.__version__, "cuda", torch.cuda.is_available())'
} 2>&1 | tee "$out/environment.txt"

# the project's pytest options name plugins (nbval) that the GPU machine lacks: none here
timeout 180 "$PY" -m pytest -q -p no:cacheprovider -o addopts="-ra" tests/engine/test_training_on_gpu.py 2>&1 | tee "$out/gpu_tests.txt"
tests=${PIPESTATUS[0]}

timeout 420 "$PY" benchmarks/gpu_bench.py 2>&1 | tee "$out/gpu_bench.txt"
bench=${PIPESTATUS[0]}

# torch.compile against eager, on its own: a slow compiler cannot cost the figures above
timeout 240 "$PY" benchmarks/gpu_bench.py --only compile 2>&1 | tee "$out/gpu_compile.txt"
compiled=${PIPESTATUS[0]}

echo "gpu tests exit $tests, benchmark exit $bench, compile exit $compiled" | tee -a "$out/environment.txt"
[ "$tests" = 0 ] && [ "$bench" = 0 ]
