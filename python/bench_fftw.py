"""FFTW peer of `longconv bench` (CPU), through pyfftw: the FFT convolution with n = 2L and the
real FFT, on single-precision real-to-complex and complex-to-real plans made with FFTW_MEASURE
(and the run's thread count) before the timing starts, executed in place on aligned buffers.
The products and sums between the transforms are numpy's. FFTW is the fastest CPU FFT there
is, so longconv's ratio to this peer says how close it comes to the CPU's limit."""
import numpy as np
import pyfftw

from bench_common import threads
from bench_numpy import cpu_only, crandn, randn

NAME = "fftw"
DEVICES = ("cpu",)


def version():
    v = pyfftw.__version__
    return v if isinstance(v, str) else str(v)


def release():
    pass


def plan(shape, real_to_complex, n):
    """An FFTW plan over the last axis between aligned float32/complex64 buffers (zeroed after
    planning, since FFTW_MEASURE overwrites them)."""
    bins = n // 2 + 1
    real = pyfftw.empty_aligned(shape + (n,), dtype="float32")
    spectrum = pyfftw.empty_aligned(shape + (bins,), dtype="complex64")
    src, dst = (real, spectrum) if real_to_complex else (spectrum, real)
    p = pyfftw.FFTW(src, dst, axes=(-1,), direction="FFTW_FORWARD" if real_to_complex else "FFTW_BACKWARD",
                    flags=("FFTW_MEASURE",), threads=threads())
    real[:] = 0
    spectrum[:] = 0
    return p, real, spectrum


def fftconv(shape, L, device):
    cpu_only(device, "FFTW")
    B, H = shape["B"], shape["H"]
    n = 2 * L
    rng = np.random.default_rng(0)
    u, k, D, dy = randn(rng, B, H, L), randn(rng, H, L), randn(rng, H), randn(rng, B, H, L)
    u_plan, u_in, U = plan((B, H), True, n)
    k_plan, k_in, K = plan((H,), True, n)
    dy_plan, dy_in, DY = plan((B, H), True, n)
    y_plan, y_out, Y = plan((B, H), False, n)
    dk_plan, dk_out, DK = plan((H,), False, n)
    y = np.empty((B, H, L), dtype=np.float32)
    scale = np.float32(1 / n)  # FFTW's inverse is unnormalised

    def forward():
        u_in[..., :L] = u  # the zero padding to n stays from planning
        u_plan.execute()
        k_in[..., :L] = k
        k_plan.execute()
        np.multiply(K, scale, out=K)
        np.multiply(U, K, out=Y)
        y_plan.execute()
        np.multiply(u, D[:, None], out=y)
        np.add(y, y_out[..., :L], out=y)
        return y

    def forward_backward():
        forward()
        dy_in[..., :L] = dy
        dy_plan.execute()
        np.multiply(DY, K.conj(), out=Y)
        y_plan.execute()
        du = y_out[..., :L] + dy * D[:, None]
        np.conjugate(U, out=U)
        np.multiply(U, DY, out=U)
        np.sum(U, axis=0, out=DK)
        np.multiply(DK, scale, out=DK)
        dk_plan.execute()
        dD = np.einsum("bhl,bhl->h", dy, u)
        return du, dk_out[..., :L], dD

    return {"forward": forward, "forward_backward": forward_backward}


def rfft(shape, L, device):
    cpu_only(device, "FFTW")
    B, H = shape["B"], shape["H"]
    n = 2 * L
    rng = np.random.default_rng(0)
    x, g = randn(rng, B, H, L), crandn(rng, B, H, n // 2 + 1)
    x_plan, x_in, X = plan((B, H), True, n)
    dx_plan, dx_out, G = plan((B, H), False, n)

    def forward():
        x_in[..., :L] = x
        x_plan.execute()
        return X

    def forward_backward():
        forward()
        # The adjoint of rfft: an unnormalised complex-to-real transform of g with the inner bins halved.
        G[:] = g
        np.multiply(G[..., 1:-1], np.float32(0.5), out=G[..., 1:-1])
        dx_plan.execute()
        return dx_out[..., :L]

    return {"forward": forward, "forward_backward": forward_backward}


CASES = {"fftconv": fftconv, "rfft": rfft}
