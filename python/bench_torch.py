"""PyTorch peer of `longconv bench` (CPU or CUDA), in the reference repositories' formulations,
written here for timing: the FFT convolution with torch.fft.rfft/irfft and n = 2L (S4's minimal
S4D); the S4 repository's plain-PyTorch Cauchy (cauchy_naive, conjugate pairs) and Vandermonde
(log_vandermonde_naive); the S4D kernel (S4DKernel.forward), the S4 DPLR kernel
(SSMKernelDPLR.forward, rank 1, Cauchy at the bilinear frequencies, Woodbury, irfft); SGConv's
'cat_randn' kernel (GConv); MultiresConv's fading tree (forward_fading with conv1d); each layer
as longconv builds it; and one training step of the S4 repository's example classifier
(example.py's S4Model with S4D blocks) with AdamW. Backward passes are autograd's."""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from bench_common import Skip, guard, threads

NAME = "torch"
DEVICES = ("cpu", "cuda")  # a PyTorch without CUDA says so per case
torch.set_num_threads(threads())


def version():
    return torch.__version__


def release():
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def device_of(name):
    if name == "cuda" and not torch.cuda.is_available():
        raise Skip("this PyTorch has no usable CUDA device")
    return torch.device(name)


def cuda_ms(fn):
    """Milliseconds of one call on the GPU: events on the current stream, after a synchronize."""
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end)


def memory_guard(need, what, dev):
    guard(need, what, torch.cuda.mem_get_info(dev)[0] if dev.type == "cuda" else None)


def case(dev, params, run, upstream):
    """forward (no autograd) and forward+backward of run() for the leaf tensors `params`."""
    def forward():
        with torch.no_grad():
            return run()

    def forward_backward():
        run().backward(upstream)
        for p in params:
            p.grad = None

    out = {"forward": forward, "forward_backward": forward_backward}
    if dev.type == "cuda":
        out["timer"] = cuda_ms
    return out


def leaf(t):
    return t.detach().requires_grad_(True)


def s4d_lin(H, modes, dev):
    """A = -1/2 + i·pi·n and dt log-spaced in [1e-3, 1e-1], as longconv's case."""
    dt = torch.exp(torch.linspace(math.log(1e-3), math.log(1e-1), H, device=dev))
    A = torch.complex(torch.full((H, modes), -0.5, device=dev), math.pi * torch.arange(modes, device=dev, dtype=torch.float32).expand(H, modes))
    return A, dt


# ---- the reference formulations ----

def conj_pairs(x):
    return torch.cat([x, x.conj()], dim=-1)


def cauchy_naive(v, z, w):
    """S4's fallback Cauchy kernel: sum_n v_n / (z - w_n) over the conjugate-paired modes."""
    v, w = conj_pairs(v), conj_pairs(w)
    return torch.sum(v.unsqueeze(-1) / (z.unsqueeze(-2) - w.unsqueeze(-1)), dim=-2)


def log_vandermonde_naive(v, x, L):
    """S4's fallback Vandermonde kernel: 2 Re sum_n v_n exp(x_n l)."""
    vandermonde_matrix = torch.exp(x.unsqueeze(-1) * torch.arange(L, device=x.device))
    return 2 * torch.einsum("...n,...nl->...l", v, vandermonde_matrix).real


def fft_conv(u, k, D):
    """The minimal S4D layer's convolution: rfft/irfft with n = 2L, plus the D skip term."""
    L = u.size(-1)
    k_f = torch.fft.rfft(k, n=2 * L)
    u_f = torch.fft.rfft(u, n=2 * L)
    return torch.fft.irfft(u_f * k_f, n=2 * L)[..., :L] + u * D.unsqueeze(-1)


class S4DKernel(nn.Module):
    """S4DKernel of the minimal S4D: a Vandermonde product of the ZOH-discretised SSM."""

    def __init__(self, H, N, dev):
        super().__init__()
        A, dt = s4d_lin(H, N // 2, dev)
        self.log_dt = nn.Parameter(torch.log(dt))
        self.C = nn.Parameter(torch.randn(H, N // 2, 2, device=dev) * math.sqrt(0.5))
        self.log_A_real = nn.Parameter(torch.log(-A.real))
        self.A_imag = nn.Parameter(A.imag.clone())

    def forward(self, L):
        dt = torch.exp(self.log_dt)
        C = torch.view_as_complex(self.C)
        A = -torch.exp(self.log_A_real) + 1j * self.A_imag
        dtA = A * dt.unsqueeze(-1)
        K = dtA.unsqueeze(-1) * torch.arange(L, device=A.device)
        C = C * (torch.exp(dtA) - 1.) / A
        return 2 * torch.einsum("hn,hnl->hl", C, torch.exp(K)).real


class S4Kernel(nn.Module):
    """SSMKernelDPLR.forward at rank 1: B and P, C̃ and Q = conj(P) stacked, one Cauchy call at
    the bilinear frequencies z = 2(1 - omega)/(1 + omega), the Woodbury correction, the factor
    2/(1 + omega) and an irfft of length L."""

    def __init__(self, H, N, L, dev):
        super().__init__()
        A, dt = s4d_lin(H, N // 2, dev)
        self.Lambda = nn.Parameter(torch.view_as_real(A).clone())
        self.P = nn.Parameter(torch.randn(1, H, N // 2, 2, device=dev) * 0.5)
        self.B = nn.Parameter(torch.randn(H, N // 2, 2, device=dev) * 0.5)
        self.C = nn.Parameter(torch.randn(1, H, N // 2, 2, device=dev) * math.sqrt(0.5))
        self.log_dt = nn.Parameter(torch.log(dt))
        # The nodes are constants of L, cached by the reference: made here, outside the timing.
        omega = torch.tensor(np.exp(-2j * np.pi / L), dtype=torch.cfloat, device=dev)
        self.omega = omega ** torch.arange(0, L // 2 + 1, device=dev)
        self.z = 2 * (1 - self.omega) / (1 + self.omega)
        self.L = L

    def forward(self):
        dt = torch.exp(self.log_dt)
        P = torch.view_as_complex(self.P)
        Q = P.conj()
        A = torch.view_as_complex(self.Lambda) * dt.unsqueeze(-1)
        B = torch.cat([torch.view_as_complex(self.B).unsqueeze(0), P], dim=-3)
        C = torch.cat([torch.view_as_complex(self.C), Q], dim=-3)
        v = B.unsqueeze(-3) * C.unsqueeze(-4)
        v = v * dt.unsqueeze(-1)
        r = cauchy_naive(v, self.z, A)
        k_f = r[:-1, :-1, :, :] - r[:-1, -1:, :, :] * r[-1:, :-1, :, :] / (1 + r[-1:, -1:, :, :])
        k_f = k_f * 2 / (1 + self.omega)
        return torch.fft.irfft(k_f, n=self.L)[0, 0]


class SGConvKernel(nn.Module):
    """GConv's 'cat_randn' kernel: sub-kernel i linearly upsampled by 2^max(0, i-1), scaled by
    multiplier^(S-1-i), concatenated, cut to L and divided by the frozen kernel norm."""

    def __init__(self, H, d, L, dev):
        super().__init__()
        self.S = 1 + max(0, math.ceil(math.log2(L / d)))
        self.kernel_list = nn.ParameterList([nn.Parameter(torch.randn(1, H, d, device=dev)) for _ in range(self.S)])
        self.register_buffer("multiplier", torch.linspace(2, 2, H, device=dev).view(1, -1, 1))
        with torch.no_grad():
            self.register_buffer("kernel_norm", self.concatenated().norm(dim=-1, keepdim=True))
        self.L = L

    def concatenated(self):
        return torch.cat([
            F.interpolate(self.kernel_list[i], scale_factor=2 ** max(0, i - 1), mode="linear") * self.multiplier ** (self.S - i - 1)
            for i in range(self.S)], dim=-1)

    def forward(self):
        k = self.concatenated()
        k = k[..., :self.L] if k.size(-1) > self.L else F.pad(k, (0, self.L - k.size(-1)))
        return (k / self.kernel_norm)[0]


def forward_fading(x, h0, h1, w, depth, kernel_size):
    """MultiresConv's fading tree (layers/multireslayer.py): dilated depthwise conv1d per level."""
    res_lo = x
    y = 0.
    dilation = 1
    for i in range(depth, 0, -1):
        padding = dilation * (kernel_size - 1)
        res_lo_pad = F.pad(res_lo, (padding, 0), "constant", 0)
        res_hi = F.conv1d(res_lo_pad, h1, dilation=dilation, groups=x.shape[1])
        res_lo = F.conv1d(res_lo_pad, h0, dilation=dilation, groups=x.shape[1])
        y += w[:, i:i + 1] * res_hi
        dilation *= 2
    y += w[:, :1] * res_lo
    y += x * w[:, -1:]
    return y


def multires_depth(L, k):
    return math.ceil(math.log2((L - 1) / (k - 1) + 1)) if L > 1 else 0


class MultiresTree(nn.Module):
    def __init__(self, H, k, L, dev):
        super().__init__()
        self.k, self.depth = k, multires_depth(L, k)
        self.h0 = nn.Parameter(torch.randn(H, 1, k, device=dev) * 0.5)
        self.h1 = nn.Parameter(torch.randn(H, 1, k, device=dev) * 0.5)
        self.w = nn.Parameter(torch.randn(H, self.depth + 2, device=dev) * 0.5)

    def forward(self, x):
        return forward_fading(x, self.h0, self.h1, self.w, self.depth, self.k)


class ConvLayer(nn.Module):
    """A long-convolution layer as longconv builds it: kernel, fft_conv with D, GELU, dropout,
    then a 1x1 convolution to 2H and GLU (S4D, S4) or to H (SGConv)."""

    def __init__(self, kernel, H, glu, dev, dropout=0.0):
        super().__init__()
        self.kernel = kernel
        self.D = nn.Parameter(torch.randn(H, device=dev))
        self.dropout = nn.Dropout1d(dropout) if dropout > 0 else nn.Identity()
        self.output_linear = nn.Sequential(nn.Conv1d(H, 2 * H, kernel_size=1), nn.GLU(dim=-2)) if glu else nn.Conv1d(H, H, kernel_size=1)
        self.to(dev)

    def forward(self, u):
        k = self.kernel(u.size(-1)) if isinstance(self.kernel, S4DKernel) else self.kernel()
        y = self.dropout(F.gelu(fft_conv(u, k, self.D)))
        return self.output_linear(y)


class MultiresLayer(nn.Module):
    def __init__(self, H, k, L, dev):
        super().__init__()
        self.tree = MultiresTree(H, k, L, dev)

    def forward(self, x):
        return F.gelu(self.tree(x))


# ---- the cases ----

def kernel_case(dev, module, run, out_shape):
    g = torch.randn(*out_shape, device=dev)
    return case(dev, list(module.parameters()), run, g)


def fftconv(shape, L, device):
    dev = device_of(device)
    B, H = shape["B"], shape["H"]
    u, k, D = leaf(torch.randn(B, H, L, device=dev)), leaf(torch.randn(H, L, device=dev)), leaf(torch.randn(H, device=dev))
    return case(dev, [u, k, D], lambda: fft_conv(u, k, D), torch.randn(B, H, L, device=dev))


def rfft(shape, L, device):
    dev = device_of(device)
    B, H = shape["B"], shape["H"]
    x = leaf(torch.randn(B, H, L, device=dev))
    g = torch.randn(B, H, L + 1, dtype=torch.cfloat, device=dev)
    return case(dev, [x], lambda: torch.fft.rfft(x, n=2 * L), g)


def cauchy(shape, L, device):
    dev = device_of(device)
    H, modes = shape["H"], shape["N"] // 2
    memory_guard(4 * H * 2 * modes * L * 8, f"cauchy_naive's matrix [{H}, {2 * modes}, {L}]", dev)
    A, dt = s4d_lin(H, modes, dev)
    v = leaf(torch.randn(H, modes, dtype=torch.cfloat, device=dev))
    w = leaf(A * dt.unsqueeze(-1))
    z = (2j * torch.tan(math.pi * torch.arange(L, device=dev) / (2 * L))).to(torch.cfloat)
    return case(dev, [v, w], lambda: cauchy_naive(v, z, w), torch.randn(H, L, dtype=torch.cfloat, device=dev))


def vandermonde(shape, L, device):
    dev = device_of(device)
    H, modes = shape["H"], shape["N"] // 2
    memory_guard(4 * H * modes * L * 8, f"log_vandermonde_naive's matrix [{H}, {modes}, {L}]", dev)
    A, dt = s4d_lin(H, modes, dev)
    v = leaf(torch.randn(H, modes, dtype=torch.cfloat, device=dev))
    x = leaf(A * dt.unsqueeze(-1))
    return case(dev, [v, x], lambda: log_vandermonde_naive(v, x, L), torch.randn(H, L, device=dev))


def s4d_kernel(shape, L, device):
    dev = device_of(device)
    H, N = shape["H"], shape["N"]
    memory_guard(4 * H * N // 2 * L * 8, f"the S4D kernel's matrix [{H}, {N // 2}, {L}]", dev)
    kernel = S4DKernel(H, N, dev)
    return kernel_case(dev, kernel, lambda: kernel(L), (H, L))


def s4_kernel(shape, L, device):
    dev = device_of(device)
    H, N = shape["H"], shape["N"]
    memory_guard(4 * 4 * H * N * (L // 2 + 1) * 8, f"cauchy_naive's matrices [2, 2, {H}, {N}, {L // 2 + 1}]", dev)
    kernel = S4Kernel(H, N, L, dev)
    return kernel_case(dev, kernel, kernel, (H, L))


def sgconv_kernel(shape, L, device):
    dev = device_of(device)
    kernel = SGConvKernel(shape["H"], shape["d"], L, dev)
    return kernel_case(dev, kernel, kernel, (shape["H"], L))


def multires(shape, L, device):
    dev = device_of(device)
    B, H, k = shape["B"], shape["H"], shape["k"]
    tree = MultiresTree(H, k, L, dev)
    x = leaf(torch.randn(B, H, L, device=dev))
    return case(dev, [x, *tree.parameters()], lambda: tree(x), torch.randn(B, H, L, device=dev))


def layer_case(build):
    def make(shape, L, device):
        dev = device_of(device)
        B, H = shape["B"], shape["H"]
        model = build(shape, L, dev)
        x = leaf(torch.randn(B, H, L, device=dev))
        return case(dev, [x, *model.parameters()], lambda: model(x), torch.randn(B, H, L, device=dev))
    return make


def s4_layer(shape, L, dev):
    memory_guard(4 * 4 * shape["H"] * shape["N"] * (L // 2 + 1) * 8, "the S4 kernel's Cauchy matrices", dev)
    return ConvLayer(S4Kernel(shape["H"], shape["N"], L, dev), shape["H"], True, dev)


class S4Model(nn.Module):
    """example.py's classifier: Linear encoder, S4D blocks (layer, dropout, residual, post-norm
    LayerNorm), mean over L, Linear decoder."""

    def __init__(self, H, N, n_layers, n_classes, dropout, dev):
        super().__init__()
        self.encoder = nn.Linear(1, H)
        self.layers = nn.ModuleList([ConvLayer(S4DKernel(H, N, dev), H, True, dev, dropout) for _ in range(n_layers)])
        self.norms = nn.ModuleList([nn.LayerNorm(H) for _ in range(n_layers)])
        self.dropouts = nn.ModuleList([nn.Dropout1d(dropout) for _ in range(n_layers)])
        self.decoder = nn.Linear(H, n_classes)
        self.to(dev)

    def forward(self, x):
        x = self.encoder(x).transpose(-1, -2)
        for layer, norm, dropout in zip(self.layers, self.norms, self.dropouts):
            x = dropout(layer(x)) + x
            x = norm(x.transpose(-1, -2)).transpose(-1, -2)
        return self.decoder(x.mean(dim=-1))


def train_step(shape, L, device):
    dev = device_of(device)
    B, H, N, n_layers = shape["B"], shape["H"], shape["N"], shape["layers"]
    model = S4Model(H, N, n_layers, 10, 0.1, dev)
    model.train()
    x = torch.randn(B, L, 1, device=dev)
    labels = (torch.arange(B, device=dev) % 10)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.01)

    def forward():
        with torch.no_grad():
            return F.cross_entropy(model(x), labels)

    def step():
        optimizer.zero_grad()
        F.cross_entropy(model(x), labels).backward()
        optimizer.step()

    out = {"forward": forward, "forward_backward": step}
    if dev.type == "cuda":
        out["timer"] = cuda_ms
    return out


CASES = {
    "fftconv": fftconv,
    "rfft": rfft,
    "cauchy": cauchy,
    "vandermonde": vandermonde,
    "s4d-kernel": s4d_kernel,
    "s4-kernel": s4_kernel,
    "sgconv-kernel": sgconv_kernel,
    "multires": multires,
    "layer:s4d": layer_case(lambda s, L, dev: ConvLayer(S4DKernel(s["H"], s["N"], dev), s["H"], True, dev)),
    "layer:s4": layer_case(s4_layer),
    "layer:sgconv": layer_case(lambda s, L, dev: ConvLayer(SGConvKernel(s["H"], s["d"], L, dev), s["H"], False, dev)),
    "layer:multires": layer_case(lambda s, L, dev: MultiresLayer(s["H"], s["k"], L, dev)),
    "train-step": train_step,
}
