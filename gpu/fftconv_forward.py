"""PyTorch's fftconv forward, called --calls times, for the GPU bundle's profile stage (which runs
this under Nsight Compute and profiles the last call): the bench peer's formulation
(python/bench_torch.py's fft_conv: rfft with n = 2L, the product, irfft, the D term), without
autograd. The inputs are drawn on the CPU and copied, so that every kernel launched belongs to a
forward.

    python fftconv_forward.py --peers APP/python --device cuda --shape B,H,L --calls 2
"""
import argparse
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--peers", required=True, help="the folder of bench_torch.py")
parser.add_argument("--device", default="cuda")
parser.add_argument("--shape", required=True, help="B,H,L")
parser.add_argument("--calls", type=int, default=2)
args = parser.parse_args()
sys.path.insert(0, args.peers)

import torch  # noqa: E402 (after the peers' folder joins the path)
from bench_torch import fft_conv  # noqa: E402

B, H, L = (int(x) for x in args.shape.split(","))
dev = torch.device(args.device)
generator = torch.Generator().manual_seed(0)
u = torch.randn(B, H, L, generator=generator).to(dev)
k = torch.randn(H, L, generator=generator).to(dev)
D = torch.randn(H, generator=generator).to(dev)
with torch.no_grad():
    for _ in range(args.calls):
        y = fft_conv(u, k, D)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        del y
print(f"fftconv forward: torch {torch.__version__}, {args.calls} calls, B={B} H={H} L={L} on {dev}", file=sys.stderr)
