"""GPTQ of one layer in PyTorch on the CPU: the baseline `bench -- gptq` runs beside ours in the same invocation.

The algorithm as the reference implementation (IST-DASLab/gptq, `GPTQ.add_batch` and `fasterquant`) writes it, with
its default settings: H accumulated per calibration sample as H <- H*n/(n+1) + (sqrt(2/(n+1))*x)^T (sqrt(2/(n+1))*x),
dead columns, damping percdamp*mean(diag H), Hinv = upper Cholesky factor of H^-1, then blocks of `blocksize` columns
quantized one column at a time (asymmetric min-max grid found per row when a group starts) with the error spread
inside the block and lazily to the later columns. Timed: the Hessian accumulation and the quantization; generating
the random inputs is not. Prints one JSON object.

usage: python3 gptq_reference.py ROWS COLS SAMPLES SEQ_LEN BITS GROUP_SIZE BLOCK_SIZE PERC_DAMP THREADS
"""
import json
import math
import sys
import time

import torch


def find_params(x, maxq):
    """Per-row asymmetric min-max grid over x [rows, group] (the reference Quantizer, perchannel, sym=False)."""
    xmin = torch.minimum(x.min(1).values, torch.zeros(x.shape[0]))
    xmax = torch.maximum(x.max(1).values, torch.zeros(x.shape[0]))
    both = (xmin == 0) & (xmax == 0)
    xmin[both], xmax[both] = -1, 1
    scale = (xmax - xmin) / maxq
    zero = torch.round(-xmin / scale)
    return scale, zero


def quantize(w, scale, zero, maxq):
    q = torch.clamp(torch.round(w / scale) + zero, 0, maxq)
    return scale * (q - zero)


def gptq(W, H, bits, groupsize, blocksize, percdamp):
    rows, cols = W.shape
    maxq = 2 ** bits - 1
    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    H += percdamp * torch.mean(torch.diag(H)) * torch.eye(cols)
    Hinv = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(H)), upper=True)
    Q = torch.zeros_like(W)
    loss = 0.0
    scale = zero = None
    for i1 in range(0, cols, blocksize):
        i2 = min(i1 + blocksize, cols)
        W1 = W[:, i1:i2].clone()
        Err1 = torch.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]
        for i in range(i2 - i1):
            w, d = W1[:, i], Hinv1[i, i]
            if (i1 + i) % groupsize == 0:
                scale, zero = find_params(W[:, i1 + i:i1 + i + groupsize], maxq)
            q = quantize(w, scale, zero, maxq)
            Q[:, i1 + i] = q
            loss += float(((w - q) ** 2 / d ** 2).sum()) / 2
            err = (w - q) / d
            W1[:, i:] -= err.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
            Err1[:, i] = err
        W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])
    return Q, loss


def main():
    rows, cols, samples, seq_len, bits, groupsize, blocksize = map(int, sys.argv[1:8])
    percdamp, threads = float(sys.argv[8]), int(sys.argv[9])
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(1)
    W = torch.rand(rows, cols, generator=gen) * 2 - 1
    H = torch.zeros(cols, cols)
    n = 0
    hessian_seconds = 0.0
    for _ in range(samples):
        x = torch.rand(seq_len, cols, generator=gen) * 2 - 1  # one calibration sample [seq_len, cols]
        t0 = time.perf_counter()
        H *= n / (n + 1)
        n += 1
        x = math.sqrt(2 / n) * x
        H += x.t().matmul(x)
        hessian_seconds += time.perf_counter() - t0
    t0 = time.perf_counter()
    _, loss = gptq(W, H, bits, groupsize, blocksize, percdamp)
    quantize_seconds = time.perf_counter() - t0
    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "hessian_seconds": hessian_seconds, "quantize_seconds": quantize_seconds,
        "total_seconds": hessian_seconds + quantize_seconds, "loss": loss,
    }))


if __name__ == "__main__":
    main()
