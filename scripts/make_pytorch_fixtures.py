#!/usr/bin/python3
"""Writes test/fixtures/pytorch-extra/: torch.save files that exercise the restricted unpickler
beyond the official checkpoints (dtypes, storage offsets and strides, shared storages, nested
containers, a forbidden class). Run with Debian's python3-torch (apt-get install python3-torch):
    /usr/bin/python3 scripts/make_pytorch_fixtures.py
CI never runs this: the files it writes are committed. Expected values are stored next to each
file as JSON (computed here in float64 from the same tensors)."""
import collections
import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'pytorch-extra')
os.makedirs(OUT, exist_ok=True)
g = torch.Generator().manual_seed(0)


def values(t):
    """Row-major float values (complex as [..., 2]), as the loader returns them."""
    if t.is_complex():
        t = torch.view_as_real(t)
    return {'shape': list(t.shape), 'data': t.detach().to(torch.float64).flatten().tolist()}


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


# 3. A pickle naming a class outside the allow-list (any user class would do; this one is
#    harmless, the loader must refuse it by name without importing anything).
class Evil:
    def __reduce__(self):
        return (os.system, ('echo this must never run',))


torch.save({'w': torch.zeros(1), 'payload': Evil()}, os.path.join(OUT, 'forbidden_global.pt'))
print('wrote', sorted(os.listdir(OUT)))
