#!/usr/bin/python3
"""Writes test/fixtures/pytorch-extra/ with Debian's python3-torch (apt-get install python3-torch):
    /usr/bin/python3 scripts/make_pytorch_fixtures.py
- torch.save files that exercise the restricted unpickler beyond the official checkpoints
  (dtypes, storage offsets and strides, shared storages, nested containers, a forbidden class),
  with their values as JSON;
- reference S4 checkpoints with n_ssm < H and dt_transform='softplus', with float64 outputs and
  gradients (section 4 says how they are computed).
CI never runs this: the files it writes are committed, and rerunning it rewrites them byte for
byte. A second mode checks the README's Python export snippet against a file savePyTorch wrote:
    /usr/bin/python3 scripts/make_pytorch_fixtures.py --check-readme s4-layer.safetensors"""
import collections
import json
import math
import os
import re
import shutil
import sys
import tempfile
import types

import torch

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'pytorch-extra')


def values(t):
    """Row-major float values (complex as [..., 2]), as the loader returns them."""
    if t.is_complex():
        t = torch.view_as_real(t)
    return {'shape': list(t.shape), 'data': t.detach().to(torch.float64).flatten().tolist()}


# Section 3's object: any user class would do; this one is harmless, the loader must refuse it by
# name without importing anything.
class Evil:
    def __reduce__(self):
        return (os.system, ('echo this must never run',))


def write_unpickler_cases():
    g = torch.Generator().manual_seed(0)
    # 1. Every storage dtype the loader converts, and views: an offset, a transpose (strides), a
    #    slice with a step, an expanded (stride 0) tensor, two tensors sharing one storage.
    base = torch.randn(6, 5, generator=g)
    shared = torch.randn(10, generator=g)
    sd = collections.OrderedDict()
    sd['f32'] = torch.randn(2, 3, generator=g)
    sd['f64'] = torch.randn(3, generator=g, dtype=torch.float64)
    sd['f16'] = torch.randn(2, 2, generator=g).half()
    sd['bf16'] = torch.randn(4, generator=g).bfloat16()
    sd['c64'] = torch.randn(3, generator=g, dtype=torch.complex64)
    sd['i64'] = torch.tensor([-3, 0, 2 ** 40], dtype=torch.int64)
    sd['i32'] = torch.tensor([7, -8], dtype=torch.int32)
    sd['u8'] = torch.tensor([0, 255], dtype=torch.uint8)
    sd['bool'] = torch.tensor([True, False, True])
    sd['scalar'] = torch.tensor(2.5)
    sd['offset'] = base[2]            # storage offset 10
    sd['transposed'] = base.t()       # strides (1, 5)
    sd['stepped'] = base[1:, ::2]     # offset 5, strides (5, 2)
    sd['expanded'] = torch.randn(3, 1, generator=g).expand(3, 4)  # stride 0
    sd['shared_a'] = shared[:6]
    sd['shared_b'] = shared[4:].view(2, 3)
    torch.save(sd, os.path.join(OUT, 'dtypes_views.pt'))
    with open(os.path.join(OUT, 'dtypes_views.json'), 'w') as f:
        json.dump({k: values(v) for k, v in sd.items()}, f)

    # 2. A checkpoint dict with nested containers around a state dict (Lightning-like, protocol 4).
    ckpt = {'epoch': 1, 'state_dict': collections.OrderedDict(w=torch.ones(2)), 'extra': (1.5, None, [True, 'x'], {3, 4})}
    torch.save(ckpt, os.path.join(OUT, 'nested_protocol4.pt'), pickle_protocol=4)

    # 3. A pickle naming a class outside the allow-list (Evil above).
    torch.save({'w': torch.zeros(1), 'payload': Evil()}, os.path.join(OUT, 'forbidden_global.pt'))


# 4. The reference S4 (state-spaces/s4 models/s4/s4.py, S4Block(mode='dplr')) in conditions the
#    official checkpoints lack: A, B, P shared across features (n_ssm < H) and
#    dt_transform='softplus'. The official code is not installed here, so StandInS4Block below has
#    its state dict (names, shapes, dtypes, order) and computes its forward in float64 following
#    its parameterisation. That implementation is first checked against the official float64
#    outputs and gradients of test/fixtures/pytorch-reference (assert_matches_official), so the
#    expected values of the new cases differ from the official code's only through the two
#    lines that define those conditions (tile_ssm and dt_from).
REF = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'pytorch-reference')
S4_B, S4_H, S4_N = 3, 4, 8  # batch, d_model, d_state (N/2 = 4 complex modes), as the official cases


def load_safetensors(path):
    """A safetensors reader (the safetensors package is not in Debian, and PyPI is out of reach):
    8-byte little-endian header size, JSON header, then the raw little-endian data."""
    dtypes = {'F32': torch.float32, 'F64': torch.float64, 'F16': torch.float16, 'BF16': torch.bfloat16,
              'I64': torch.int64, 'I32': torch.int32, 'U8': torch.uint8, 'BOOL': torch.bool}
    with open(path, 'rb') as f:
        raw = f.read()
    size = int.from_bytes(raw[:8], 'little')
    header = json.loads(raw[8:8 + size])
    data = raw[8 + size:]
    out = collections.OrderedDict()
    for name, info in header.items():
        if name == '__metadata__':
            continue
        start, end = info['data_offsets']
        dtype = dtypes[info['dtype']]
        buf = bytearray(data[start:end])
        t = torch.frombuffer(buf, dtype=dtype) if end > start else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info['shape']).clone()
    return out


def tile_ssm(t, axis, H):
    """The reference's repeat 't n -> (v t) n' (_get_params): feature h uses SSM copy h mod n_ssm."""
    return torch.cat([t] * (H // t.shape[axis]), dim=axis)


def dt_from(inv_dt, transform):
    """The reference's param_transform for dt."""
    return torch.exp(inv_dt) if transform == 'exp' else torch.nn.functional.softplus(inv_dt)


def s4_dense_dA(dt, A, P):
    """The bilinear transition of the full (conjugate-doubled) DPLR matrix diag(A) − P Pᴴ,
    dA = (I − dt/2·A)⁻¹(I + dt/2·A), per feature: what the reference's _setup_state builds with
    its Woodbury stepping. dt [H,1], A [H,n], P [R,H,n] → [H,2n,2n]."""
    Af = torch.cat([A, A.conj()], -1)
    Pf = torch.cat([P, P.conj()], -1)
    full = torch.diag_embed(Af) - torch.einsum('rhm,rhn->hmn', Pf, Pf.conj())
    eye = torch.eye(Af.shape[-1], dtype=Af.dtype)
    half = (dt / 2).unsqueeze(-1)
    return torch.linalg.solve(eye - half * full, eye + half * full)


def s4_setup_C(dt, A, P, C, L):
    """The reference's _setup_C from l_kernel 0: C̃ = C(I − dA^L), kept to the first n modes."""
    n = A.shape[-1]
    dA_L = torch.linalg.matrix_power(s4_dense_dA(dt, A, P), L)
    Cf = torch.cat([C, C.conj()], -1)  # [c,H,2n]
    return (Cf - torch.einsum('chm,hmn->chn', Cf, dA_L))[..., :n]


def s4_kernel(dt, A, B, C, P, l_kernel, L):
    """SSMKernelDPLR.forward without state, rank 1: the Cauchy sums at the bilinear nodes of the
    l_kernel-point FFT, the Woodbury correction, then irfft, truncated to L. Shapes: dt [H,1], A,
    B [H,n], C [c,H,n], P [1,H,n]; returns [c,H,L]."""
    omega = torch.exp(-2j * math.pi / l_kernel * torch.arange(l_kernel // 2 + 1, dtype=torch.float64))
    z = 2 * (1 - omega) / (1 + omega)
    w = A * dt
    Bs = torch.cat([B.unsqueeze(0), P], 0)  # [1+R,H,n]
    Cs = torch.cat([C, P.conj()], 0)  # [c+R,H,n]
    v = Bs.unsqueeze(1) * Cs.unsqueeze(0) * dt  # [1+R,c+R,H,n]
    vf, wf = torch.cat([v, v.conj()], -1), torch.cat([w, w.conj()], -1)
    r = (vf.unsqueeze(-1) / (z - wf.unsqueeze(-1))).sum(-2)  # [1+R,c+R,H,L/2+1]
    k_f = r[:-1, :-1] - r[:-1, -1:] * r[-1:, :-1] / (1 + r[-1:, -1:])
    k_f = k_f * 2 / (1 + omega)
    return torch.fft.irfft(k_f, n=l_kernel)[0, ..., :L]


class _Holder(torch.nn.Module):
    pass


class StandInS4Block(torch.nn.Module):
    """The reference S4Block(mode='dplr') for what longconv converts: its state dict, and its
    forward (transposed (B,H,L) input, channels 1, rank 1, dropout 0, eval) in float64."""

    def __init__(self, d_model, d_state=64, mode='dplr', l_max=None, transposed=True, n_ssm=None, dt_transform='exp'):
        super().__init__()
        assert mode == 'dplr' and transposed
        H, n, S = d_model, d_state // 2, n_ssm or d_model
        assert H % S == 0
        self.H, self.l_max, self.dt_transform = H, l_max, dt_transform
        f = torch.float32
        self.layer = _Holder()
        self.layer.D = torch.nn.Parameter(torch.zeros(1, H, dtype=f))
        k = self.layer.kernel = _Holder()
        k.inv_dt = torch.nn.Parameter(torch.zeros(H, 1, dtype=f))
        k.C = torch.nn.Parameter(torch.zeros(1, H, n, 2, dtype=f))
        k.B = torch.nn.Parameter(torch.zeros(1, S, n, 2, dtype=f))
        k.A_real = torch.nn.Parameter(torch.zeros(S, n, dtype=f))
        k.A_imag = torch.nn.Parameter(torch.zeros(S, n, dtype=f))
        k.P = torch.nn.Parameter(torch.zeros(1, S, n, 2, dtype=f))
        k.register_buffer('l_kernel', torch.tensor(0))
        self.output_linear = torch.nn.Sequential(torch.nn.Linear(H, 2 * H), torch.nn.GLU(dim=-1))

    def leaves(self):
        """float64 copies of the parameters as the forward uses them, A, B, P tiled to H rows;
        the gradients of these are longconv's (up to the conventions in longconv_grads)."""
        k, H = self.layer.kernel, self.H
        d = lambda t: t.detach().to(torch.float64)
        leaves = {
            'inv_dt': d(k.inv_dt), 'A_real': tile_ssm(d(k.A_real), 0, H), 'A_imag': tile_ssm(d(k.A_imag), 0, H),
            'B': tile_ssm(d(k.B), 1, H), 'P': tile_ssm(d(k.P), 1, H), 'C': d(k.C), 'D': d(self.layer.D),
            'W': d(self.output_linear[0].weight), 'b': d(self.output_linear[0].bias),
        }
        if k.l_kernel.item() == 0:  # the first forward sets C̃ up for l_max (no gradient)
            dt, A = dt_from(leaves['inv_dt'], self.dt_transform), -torch.exp(leaves['A_real']) - 1j * leaves['A_imag']
            C = s4_setup_C(dt, A, torch.view_as_complex(leaves['P']), torch.view_as_complex(leaves['C']), self.l_max)
            leaves['C'] = torch.view_as_real(C).contiguous()
            with torch.no_grad():
                k.C.copy_(leaves['C'])
                k.l_kernel.fill_(self.l_max)
        return {name: t.requires_grad_() for name, t in leaves.items()}

    def run(self, p, x):
        """The forward on float64 leaves p, x [B,H,L] → [B,H,L]."""
        L = x.shape[-1]
        dt = dt_from(p['inv_dt'], self.dt_transform)
        A = -torch.exp(p['A_real']) - 1j * p['A_imag']
        c = torch.view_as_complex
        l_kernel = min(L, self.l_max)  # FFTConv: the kernel of the internal length, truncated
        k = s4_kernel(dt, A, c(p['B'])[0], c(p['C']), c(p['P']), self.layer.kernel.l_kernel.item(), l_kernel)
        n = l_kernel + L
        y = torch.fft.irfft(torch.fft.rfft(x, n=n) * torch.fft.rfft(k, n=n), n=n)[..., :L] + x * p['D'][0].unsqueeze(-1)
        y = torch.nn.functional.gelu(y).transpose(-1, -2)  # (B,L,H) for the output linear
        y = torch.nn.functional.glu(y @ p['W'].t() + p['b'], dim=-1)
        return y.transpose(-1, -2)

    def forward(self, x):
        return self.run(self.leaves(), x.to(torch.float64)), None


def longconv_grads(p, transform):
    """The gradients of p under longconv's names and shapes (its parameterisation of the same
    function): log_dt = log dt, A_imag negated, B without its leading 1, D [H], weight [2H,H,1]."""
    g = {name: t.grad for name, t in p.items()}
    inv_dt = p['inv_dt'].detach()
    # d/d log dt = dt · d/d dt; d inv_dt/d dt = 1/dt (exp) or 1/sigmoid(inv_dt) (softplus).
    dlog = g['inv_dt'] if transform == 'exp' else g['inv_dt'] * dt_from(inv_dt, transform) / torch.sigmoid(inv_dt)
    return {
        'kernel.log_dt': dlog[:, 0], 'kernel.log_A_real': g['A_real'], 'kernel.A_imag': -g['A_imag'],
        'kernel.B': g['B'][0], 'kernel.P': g['P'], 'kernel.C': g['C'], 'D': g['D'][0],
        'output_linear.0.weight': g['W'].unsqueeze(-1), 'output_linear.0.bias': g['b'],
    }


def s4_expected(block, x, g):
    """y, dx and parameter gradients (longconv names) in float64 for input x and upstream g."""
    p = block.leaves()
    x = x.to(torch.float64).requires_grad_()
    y = block.run(p, x)
    (y * g).sum().backward()
    out = {'x': x.detach(), 'g': g, 'y64': y.detach(), 'dx64': x.grad}
    out.update({f'grad64.{name}': t for name, t in longconv_grads(p, block.dt_transform).items()})
    return out


def rel_err(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


def assert_matches_official():
    """The float64 stand-in against the official code's float64 outputs and gradients."""
    worst = 0.0
    for case in ('s4_L128', 's4_L200', 's4_L100_lMax128'):
        meta = next(c for c in json.load(open(os.path.join(REF, 'cases.json')))['cases'] if c['id'] == case)
        block = StandInS4Block(S4_H, S4_N, l_max=meta['lMax'])
        block.load_state_dict(load_safetensors(os.path.join(REF, f'{case}.official.safetensors')))
        want = load_safetensors(os.path.join(REF, f'{case}.fixture.safetensors'))
        got = s4_expected(block, want['x'], want['g'].to(torch.float64))
        for name, t in got.items():
            if name not in ('x', 'g'):
                err = rel_err(t, want[name].to(torch.float64))
                assert err < 1e-6, (case, name, err)  # the official float64 values are stored as F32
                worst = max(worst, err)
    print(f'the float64 stand-in S4Block matches the official float64 outputs and gradients: {worst:.1e}')


def random_s4_state(block, transform, fresh, g):
    """Random values for every tensor, in the ranges a trained S4 has: Re A = −exp(A_real) in
    [−1, −0.2], Im A spread like HiPPO-LegS's, dt in [5e-3, 0.2] (where softplus and exp differ by
    far more than the tolerance), and l_kernel = l_max (after a first forward) unless fresh."""
    k = block.layer.kernel
    with torch.no_grad():
        for t in block.parameters():
            t.copy_(torch.randn(t.shape, generator=g))
        k.A_real.copy_(torch.log(torch.rand(k.A_real.shape, generator=g) * 0.8 + 0.2))
        k.A_imag.copy_(math.pi * torch.arange(k.A_imag.shape[1]) * (0.5 + torch.rand(k.A_imag.shape, generator=g)))
        dt = torch.exp(torch.rand(k.inv_dt.shape, generator=g) * math.log(40) + math.log(5e-3))
        k.inv_dt.copy_(torch.log(dt) if transform == 'exp' else torch.log(torch.expm1(dt)))
        k.l_kernel.fill_(0 if fresh else block.l_max)


S4_CASES = [
    # id, l_max, L, n_ssm, dt_transform, fresh (l_kernel 0: C holds a plain C)
    ('s4_nssm1_L128', 128, 128, 1, 'exp', False),
    ('s4_nssm2_L200', 200, 200, 2, 'exp', False),
    ('s4_softplus_L128', 128, 128, 4, 'softplus', False),
    ('s4_nssm2_softplus_fresh_L100_lMax128', 128, 100, 2, 'softplus', True),
]


def write_s4_cases():
    assert_matches_official()
    g = torch.Generator().manual_seed(4)
    cases = []
    for case_id, l_max, L, n_ssm, transform, fresh in S4_CASES:
        block = StandInS4Block(S4_H, S4_N, l_max=l_max, n_ssm=n_ssm, dt_transform=transform)
        random_s4_state(block, transform, fresh, g)
        torch.save(collections.OrderedDict((k, v.clone()) for k, v in block.state_dict().items()), os.path.join(OUT, f'{case_id}.pt'))
        x, up = torch.randn(S4_B, S4_H, L, generator=g), torch.randn(S4_B, S4_H, L, generator=g, dtype=torch.float64)
        expected = s4_expected(block, x, up)
        # The check must tell the condition apart: the other tiling order ('(t v)', h div
        # (H/n_ssm)) or the other dt transform gives outputs far from these.
        if n_ssm not in (1, S4_H):
            other = StandInS4Block(S4_H, S4_N, l_max=l_max, n_ssm=n_ssm, dt_transform=transform)
            other.load_state_dict(torch.load(os.path.join(OUT, f'{case_id}.pt')))
            p = other.leaves()
            for name, axis in (('A_real', 0), ('A_imag', 0), ('B', 1), ('P', 1)):
                p[name] = torch.repeat_interleave(p[name].detach().narrow(axis, 0, n_ssm), S4_H // n_ssm, dim=axis)
            assert rel_err(other.run(p, x.to(torch.float64)), expected['y64']) > 1e-2, case_id
        if transform == 'softplus':
            other = StandInS4Block(S4_H, S4_N, l_max=l_max, n_ssm=n_ssm, dt_transform='exp')
            other.load_state_dict(torch.load(os.path.join(OUT, f'{case_id}.pt')))
            assert rel_err(other(x)[0], expected['y64']) > 1e-2, case_id
        torch.save(expected, os.path.join(OUT, f'{case_id}.expected.pt'))
        cases.append({'id': case_id, 'lMax': l_max, 'L': L, 'nSsm': n_ssm, 'dtTransform': transform, 'fresh': fresh})
    with open(os.path.join(OUT, 's4_cases.json'), 'w') as f:
        json.dump({'B': S4_B, 'H': S4_H, 'N': S4_N, 'cases': cases}, f, indent=1)


def check_readme_snippet(exported):
    """Runs the README's Python export snippet as written, in a folder holding `exported` (a file
    savePyTorch wrote from the README's JavaScript example) as s4-layer.safetensors, with
    stand-ins for the modules it imports (safetensors.torch.load_file, models.s4.s4.S4Block: the
    reference's names and shapes, strict load_state_dict). Then checks the loaded stand-in's
    outputs on the s4_L128 input against the official float64 outputs."""
    readme = open(os.path.join(os.path.dirname(__file__), '..', 'README.md')).read()
    blocks = re.findall(r'```python\n(.*?)```', readme, re.S)
    snippet = next(b for b in blocks if 'load_state_dict' in b)
    modules = {name: types.ModuleType(name) for name in ('safetensors', 'safetensors.torch', 'models', 'models.s4', 'models.s4.s4')}
    modules['safetensors.torch'].load_file = load_safetensors
    modules['models.s4.s4'].S4Block = StandInS4Block
    sys.modules.update(modules)
    folder = tempfile.mkdtemp()
    shutil.copy(exported, os.path.join(folder, 's4-layer.safetensors'))
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        scope = {}
        exec(compile(snippet, 'README.md (python block)', 'exec'), scope)
    finally:
        os.chdir(cwd)
        shutil.rmtree(folder)
    want = load_safetensors(os.path.join(REF, 's4_L128.fixture.safetensors'))
    y = scope['layer'](want['x'])[0]
    err = rel_err(y, want['y64'].to(torch.float64))
    print(f'README snippet: ran; loaded {len(scope["layer"].state_dict())} tensors (strict); outputs vs official float64: {err:.1e}')
    assert err < 1e-6, err


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--check-readme':
        check_readme_snippet(sys.argv[2])
    else:
        os.makedirs(OUT, exist_ok=True)
        write_unpickler_cases()
        write_s4_cases()
        print('wrote', sorted(os.listdir(OUT)))
