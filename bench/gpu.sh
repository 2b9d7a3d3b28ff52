#!/usr/bin/env bash
# The MLX backend on a CUDA GPU beside PyTorch CUDA: the lecture model (784-512-512-10) and the
# wide one (784-4096-4096-10) at batch 32, 128 and 512, samples/s (bench/train_speed.py --gpu).
#
# The GPU machine has no registries: the wheels travel from a machine that has them. MLX's CUDA
# wheel (mlx-cuda-13, 90 MB) is larger than what one call of the device tool carries (64 MiB with
# the repository), so it travels in two halves, over two calls made one right after the other
# (the machine keeps ignored files between calls while it is warm):
#
#   bash bench/gpu.sh fetch          # here: .whl/a and .whl/b, each under 50 MiB
#   device run, carry [".whl/a"]:   bash bench/gpu.sh stage
#   device run, carry [".whl/b"]:   bash bench/gpu.sh run      # joins, installs into /tmp/site, measures
#
# (`bash bench/gpu.sh run` alone works where .whl/a and .whl/b are both present.) PyTorch is the
# one the machine has (its image holds a CUDA build); MLX needs the CUDA 13 libraries it brings
# too (nvidia-cublas, -cudnn-cu13, ...). The run takes about 5 minutes: one round of fresh
# processes per figure (ROUNDS=3 for medians of three, about 12 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
MLX_VERSION=${MLX_VERSION:-0.32.4}
ROUNDS=${ROUNDS:-1}

fetch() {
    rm -rf .whl && mkdir -p .whl/a .whl/b .whl/full
    grep -qx "/.whl/" .git/info/exclude 2>/dev/null || { mkdir -p .git/info; echo "/.whl/" >> .git/info/exclude; }
    grep -qx "/.gpu-stage/" .git/info/exclude || echo "/.gpu-stage/" >> .git/info/exclude
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_35_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
        -d .whl/full "mlx==$MLX_VERSION" "mlx-cuda-13==$MLX_VERSION" tomli_w
    big=$(ls .whl/full/mlx_cuda_13-*.whl)
    split -b 48M -d "$big" ".whl/a/$(basename "$big").part-"
    mv .whl/a/*.part-01 .whl/b/
    if ls .whl/a/*.part-02 >/dev/null 2>&1; then echo "gpu.sh: the wheel needs more than two parts" >&2; exit 1; fi
    mv .whl/full/mlx-*.whl .whl/full/tomli_w-*.whl .whl/b/
    rm -rf .whl/full
    du -sh .whl/a .whl/b
}

stage() {   # the first half, kept on the warm machine for the next call
    mkdir -p .gpu-stage && cp .whl/a/* .gpu-stage/ && ls -la .gpu-stage
}

run() {
    mkdir -p .gpu-stage /tmp/wheels
    cp .whl/a/* .gpu-stage/ 2>/dev/null || true
    cp .whl/b/* .gpu-stage/
    part0=$(ls .gpu-stage/*.part-00)
    cat "$part0" "${part0%-00}-01" > "/tmp/wheels/$(basename "${part0%.part-00}")"
    cp .gpu-stage/*.whl /tmp/wheels/
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
        /tmp/wheels/*.whl
    export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
    python3 -c "import mlx.core as mx; print('mlx', mx.__version__, 'gpu available:', mx.is_available(mx.gpu))"
    python3 bench/train_speed.py --gpu --repeats "$ROUNDS"
    python3 bench/train_speed.py --gpu --repeats "$ROUNDS" --hidden 4096
}

case "${1:-run}" in
    fetch) fetch ;;
    stage) stage ;;
    run) run ;;
    *) echo "usage: bash bench/gpu.sh fetch|stage|run" >&2; exit 2 ;;
esac
