#!/usr/bin/env python3
"""Fits erf(z)/z on [0, ZMAX] by P(z^2)/Q(z^2) (Q(0) = 1), the rational of erf_rational in
native/elementwise_ops.h (docs/MATH.md §2.8), and prints the coefficients in z^2.

Linearised least squares P(u) - f Q(u) ~ 0 on dense nodes, weighted by 1/(f Q_prev) so that it
measures relative error, with Lawson's reweighting (weights times the error) pushing the worst
node's error down. Needs numpy and scipy (a developer's tool: neither the build nor the tests
run it)."""
import numpy as np
from scipy.special import erf

ZMAX, DEG_P, DEG_Q, ITERATIONS = 6.0, 8, 6, 300


def fit():
    n = 20000
    chebyshev = ZMAX * (1 - np.cos(np.pi * (np.arange(n) + 0.5) / n)) / 2
    z = np.sort(np.concatenate([chebyshev, np.linspace(1e-6, ZMAX, n)]))
    scale = ZMAX * ZMAX
    s = z * z / scale  # the fit runs in u / scale, in [0, 1], for conditioning
    f = erf(z) / z
    q_prev, lawson = np.ones_like(z), np.ones_like(z) / len(z)
    best = None
    for _ in range(ITERATIONS):
        a = np.hstack([np.vander(s, DEG_P + 1, increasing=True),
                       -f[:, None] * np.vander(s, DEG_Q + 1, increasing=True)[:, 1:]])
        w = np.sqrt(lawson) / (f * q_prev)
        c, *_ = np.linalg.lstsq(a * w[:, None], f * w, rcond=None)
        p, q = c[:DEG_P + 1], np.concatenate([[1.0], c[DEG_P + 1:]])
        q_prev = np.polyval(q[::-1], s)
        err = np.abs(np.polyval(p[::-1], s) / q_prev - f) / f
        lawson = lawson * err
        lawson /= lawson.sum()
        if best is None or err.max() < best[0]:
            best = (err.max(), p / scale ** np.arange(DEG_P + 1), q / scale ** np.arange(DEG_Q + 1))
    return best


if __name__ == "__main__":
    err, p, q = fit()
    print(f"max relative error of erf(z)/z on [0, {ZMAX}]: {err:.3g}")
    print("P (constant term first):", ", ".join(f"{v:.17g}" for v in p))
    print("Q (constant term first):", ", ".join(f"{v:.17g}" for v in q))
