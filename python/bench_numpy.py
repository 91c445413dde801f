"""numpy peer of `longconv bench` (CPU): the FFT convolution with n = 2L and the real FFT with
numpy.fft (pocketfft; numpy before 2.0 computes it in float64), and the Cauchy and Vandermonde
sums in their plain vectorised form (S4's cauchy_naive and log_vandermonde_naive, written with
numpy). numpy has no autograd: each backward is written out by hand, with the gradients in
PyTorch's convention (for complex inputs dL/dRe + i dL/dIm)."""
import numpy as np

from bench_common import Skip, guard

NAME = "numpy"
DEVICES = ("cpu",)


def version():
    v = np.__version__
    return v if int(v.split(".")[0]) >= 2 else f"{v} (its FFTs compute in float64)"


def release():
    pass


def randn(rng, *shape):
    return rng.standard_normal(shape, dtype=np.float32)


def crandn(rng, *shape):
    return (randn(rng, *shape) + 1j * randn(rng, *shape)).astype(np.complex64)


def cpu_only(device, library="numpy"):
    if device != "cpu":
        raise Skip(f"{library} runs on the CPU only")


def s4d_lin(H, modes):
    """dt·A of a diagonal SSM as longconv's case: A = -1/2 + i·pi·n, dt log-spaced in [1e-3, 1e-1]."""
    dt = np.exp(np.linspace(np.log(1e-3), np.log(1e-1), H)).astype(np.float32)
    A = (-0.5 + 1j * np.pi * np.arange(modes)).astype(np.complex64)
    return (dt[:, None] * A[None, :]).astype(np.complex64)


def fftconv(shape, L, device):
    cpu_only(device)
    B, H = shape["B"], shape["H"]
    n = 2 * L
    rng = np.random.default_rng(0)
    u, k, D, dy = randn(rng, B, H, L), randn(rng, H, L), randn(rng, H), randn(rng, B, H, L)

    def forward():
        uf = np.fft.rfft(u, n)
        kf = np.fft.rfft(k, n)
        return np.fft.irfft(uf * kf, n)[..., :L] + u * D[:, None], uf, kf

    def forward_backward():
        _, uf, kf = forward()
        dyf = np.fft.rfft(dy, n)
        du = np.fft.irfft(dyf * np.conj(kf), n)[..., :L] + dy * D[:, None]
        dk = np.fft.irfft((dyf * np.conj(uf)).sum(0), n)[..., :L]
        dD = (dy * u).sum((0, 2))
        return du, dk, dD

    return {"forward": forward, "forward_backward": forward_backward}


def rfft(shape, L, device):
    cpu_only(device)
    B, H = shape["B"], shape["H"]
    n = 2 * L
    rng = np.random.default_rng(0)
    x, g = randn(rng, B, H, L), crandn(rng, B, H, n // 2 + 1)

    def forward():
        return np.fft.rfft(x, n)

    def forward_backward():
        forward()
        # The adjoint of rfft: dx_j = Re sum_k g_k e^(2 pi i jk/n), an irfft of g with the inner bins halved.
        h = g.copy()
        h[..., 1:-1] *= 0.5
        return n * np.fft.irfft(h, n)[..., :L]

    return {"forward": forward, "forward_backward": forward_backward}


def cauchy(shape, L, device):
    cpu_only(device)
    H, modes = shape["H"], shape["N"] // 2
    guard(3 * H * 2 * modes * L * 8, f"numpy's Cauchy matrix [{H}, {2 * modes}, {L}]")
    rng = np.random.default_rng(0)
    v, w = crandn(rng, H, modes), s4d_lin(H, modes)
    z = (2j * np.tan(np.pi * np.arange(L) / (2 * L))).astype(np.complex64)
    g = crandn(rng, H, L)

    def matrix():
        vv = np.concatenate([v, v.conj()], -1)  # S4's conjugate pairs
        ww = np.concatenate([w, w.conj()], -1)
        return vv, 1 / (z[None, None, :] - ww[:, :, None])

    def forward():
        vv, M = matrix()
        return (vv[:, :, None] * M).sum(-2)

    def forward_backward():
        vv, M = matrix()
        (vv[:, :, None] * M).sum(-2)
        Mc = M.conj()
        dvv = np.einsum("hl,hnl->hn", g, Mc)
        dww = vv.conj() * np.einsum("hl,hnl->hn", g, Mc * Mc)
        return dvv[:, :modes] + dvv[:, modes:].conj(), dww[:, :modes] + dww[:, modes:].conj()

    return {"forward": forward, "forward_backward": forward_backward}


def vandermonde(shape, L, device):
    cpu_only(device)
    H, modes = shape["H"], shape["N"] // 2
    guard(3 * H * modes * L * 8, f"numpy's Vandermonde matrix [{H}, {modes}, {L}]")
    rng = np.random.default_rng(0)
    v, x = crandn(rng, H, modes), s4d_lin(H, modes)
    ell = np.arange(L, dtype=np.float32)
    g = randn(rng, H, L)

    def forward():
        V = np.exp(x[:, :, None] * ell)
        return 2 * np.einsum("hn,hnl->hl", v, V).real, V

    def forward_backward():
        _, V = forward()
        Vc = V.conj()
        dv = 2 * np.einsum("hnl,hl->hn", Vc, g)
        dx = 2 * v.conj() * np.einsum("hnl,hl->hn", Vc, g * ell)
        return dv, dx

    return {"forward": lambda: forward()[0], "forward_backward": forward_backward}


CASES = {"fftconv": fftconv, "rfft": rfft, "cauchy": cauchy, "vandermonde": vandermonde}
