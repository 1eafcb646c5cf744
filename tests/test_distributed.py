"""DDP with 2 CPU processes (gloo, launched by torchrun) gives the same weights as 1 process on the same global batch,
and only rank 0 writes files."""
import json, os, subprocess, sys, textwrap
from pathlib import Path
import numpy as np
import pytest
import torch
from conftest import ROOT

SCRIPT = textwrap.dedent('''
    import json, os, sys
    import numpy as np, torch, torch.nn as nn
    import distilled_vit.train as T
    from distilled_vit.core import get_config, seed_everything
    out = sys.argv[1]
    rank = int(os.environ.get('RANK', 0))
    writes = []
    _orig = T.atomic_path
    def counting_atomic_path(dst):
        writes.append(str(dst)); return _orig(dst)
    T.atomic_path = counting_atomic_path
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4, 6)).astype(np.float32); y = np.tanh(X.reshape(64, -1)[:, :2]).astype(np.float32)
    cfg = get_config('smoke', batch_size=16, device='cpu', num_threads=1)
    seed_everything(0, 1)
    model = nn.Sequential(nn.Flatten(), nn.Linear(24, 16), nn.Tanh(), nn.Linear(16, 2))
    T.fit(model, (X, y), (X[:16], y[:16]), cfg, out, epochs=3, lr=1e-2, progress=False)
    w = torch.cat([p.detach().flatten() for p in model.parameters()]).tolist()
    json.dump(dict(rank=rank, writes=writes, weights=w), open(os.path.join(out, f'rank{rank}.json'), 'w'))
''')

def _launch(tmp_path, nproc):
    script = tmp_path / 'ddp_fit.py'; script.write_text(SCRIPT)
    out = tmp_path / f'out{nproc}'; out.mkdir()
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', f'--nproc_per_node={nproc}', str(script), str(out)]
    env = dict(os.environ, OMP_NUM_THREADS='1')
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return out, [json.loads((out / f'rank{i}.json').read_text()) for i in range(nproc)]

def test_two_gloo_processes_match_one(tmp_path):
    out1, (single,) = _launch(tmp_path, 1)
    out2, ranks = _launch(tmp_path, 2)
    w1 = np.array(single['weights'])
    for r in ranks: np.testing.assert_allclose(np.array(r['weights']), w1, atol=1e-5)
    assert ranks[0]['writes'] and not ranks[1]['writes'], 'only rank 0 may write files'
    assert (out2 / 'checkpoint.pt').exists() and (out2 / 'model.safetensors').exists()
    assert not list(out2.glob('.*.tmp'))
