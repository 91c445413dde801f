"""numpy peer for bench/fftconv.js: the same fftConv forward and backward with
numpy.fft.rfft/irfft (pocketfft) on float32 arrays, timed in this process.
Argument: JSON {"cases": [{"B","H","L","n"}], "reps", "warmup"}; prints JSON timings in ms."""
import json
import sys
import time

import numpy as np


def median_ms(fn, reps, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]


def main():
    args = json.loads(sys.argv[1])
    out = {"numpy": np.__version__, "cases": []}
    rng = np.random.default_rng(0)
    for c in args["cases"]:
        B, H, L, n = c["B"], c["H"], c["L"], c["n"]
        u = rng.standard_normal((B, H, L), dtype=np.float32)
        k = rng.standard_normal((H, L), dtype=np.float32)
        D = rng.standard_normal(H, dtype=np.float32)
        dy = rng.standard_normal((B, H, L), dtype=np.float32)

        def forward():
            uf = np.fft.rfft(u, n)
            kf = np.fft.rfft(k, n)
            y = np.fft.irfft(uf * kf, n)[..., :L] + u * D[:, None]
            return y, uf, kf

        def forward_backward():
            _, uf, kf = forward()
            dyf = np.fft.rfft(dy, n)
            du = np.fft.irfft(dyf * np.conj(kf), n)[..., :L] + dy * D[:, None]
            dk = np.fft.irfft((dyf * np.conj(uf)).sum(0), n)[..., :L]
            dD = (dy * u).sum((0, 2))
            return du, dk, dD

        assert forward()[0].dtype == np.float32, "numpy computed in float64"
        out["cases"].append({
            "L": L,
            "forwardMs": median_ms(forward, args["reps"], args["warmup"]),
            "forwardBackwardMs": median_ms(forward_backward, args["reps"], args["warmup"]),
        })
    print(json.dumps(out))


if __name__ == "__main__":
    main()
