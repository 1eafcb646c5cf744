"""ExecuTorch: the audio-in student lowered to XNNPACK `.pte` programs (fp32 and 8-bit), run by ExecuTorch's own runtime,
checked against the eager model; a stage without ExecuTorch says so in one line and writes everything else."""
import io, contextlib, os
from pathlib import Path
import numpy as np
import pytest
import torch
from distilled_vit.rundir import RunDir
from distilled_vit.core import DIMS
from distilled_vit.audio import window_samples
from distilled_vit import export as E
from smoke_export import smoke_export

pytestmark = pytest.mark.skipif(bool(E.executorch_missing()) and not os.environ.get('CI'),
                                reason='executorch not installed (the [mobile] extra; make test installs it)')

@pytest.fixture(scope='module')
def mobile():
    s = smoke_export()
    cfg = s.cfg.__class__(**{**s.cfg.to_dict(), 'export_pte': True})
    run = RunDir(s.root / 'run_mobile', cfg)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        ex = E.export_stage(cfg, run, s.student, s.data, progress=True)
    return s, cfg, run, ex, out.getvalue()

def test_executorch_is_installed_by_the_test_command():
    assert E.executorch_missing() == ''

def test_pte_programs_run_in_executorch_and_match_the_eager_model(mobile):
    s, cfg, run, ex, log = mobile
    a32, a8 = ex['artefacts']['pte_wave_fp32'], ex['artefacts']['pte_wave_int8']
    assert ex['executorch']['written'] and ex['executorch']['input']['shape'] == [1, window_samples(cfg)]
    assert a32['max_abs_diff'] <= E.PARITY_TOLERANCE                       # fp32 program = eager student on the same audio
    assert 0 < a8['max_abs_diff'] < 0.1 and a8['size_mb'] < a32['size_mb']  # 8-bit weights: close, smaller, not identical
    for a in (a32, a8):
        assert (run.path / a['path']).is_file() and a['latency_ms_b1'] > 0 and np.isfinite(a['ccc_drop'])
    assert 'pte_wave_fp32' in log and 'pte_wave_int8' in log
    # the runtime itself, on one window of real-looking audio, against WaveStudent
    meth = E.load_pte(run.path / a32['path'])
    x = torch.from_numpy(E.wave_check_set(cfg, s.data)[0][:1])
    want = E.WaveStudent(s.student, cfg, s.data.norm).eval()(x).detach()
    got = meth.execute([x])[0]
    assert got.shape == (1, len(DIMS)) and torch.allclose(got, want, atol=1e-4)

def test_a_file_that_is_not_a_program_is_one_clear_error(tmp_path):
    bad = tmp_path / 'model.pte'; bad.write_bytes(b'PK\x03\x04 not a flatbuffer')
    with pytest.raises(E.ExportError, match='model.pte: not a loadable ExecuTorch program'):
        E.load_pte(bad)
    with pytest.raises(E.ExportError, match='missing.pte: ExecuTorch program does not exist'):
        E.load_pte(tmp_path / 'missing.pte')

def test_without_executorch_the_stage_says_so_and_writes_the_rest(monkeypatch, tmp_path):
    s = smoke_export()
    cfg = s.cfg.__class__(**{**s.cfg.to_dict(), 'export_pte': True})
    monkeypatch.setattr(E, 'executorch_missing', lambda: 'executorch is not installed (test)')
    with contextlib.redirect_stdout(io.StringIO()) as out:
        ex = E.export_stage(cfg, RunDir(tmp_path / 'run', cfg), s.student, s.data, progress=True)
    lines = [l for l in out.getvalue().splitlines() if 'ExecuTorch' in l]
    assert lines == ['export: ExecuTorch programs skipped: executorch is not installed (test)']
    assert ex['executorch'] == {**ex['executorch'], 'written': False, 'reason': 'executorch is not installed (test)', 'programs': {}}
    assert 'pte_wave_fp32' not in ex['artefacts'] and ex['checks']['wave_parity_ok']

class _DataDependent(torch.nn.Module):
    "A model torch.export cannot capture (control flow on a tensor's value): its lowering fails."
    def forward(self, x): return x * 2 if x.sum() > 0 else x - 1

def test_the_lowering_worker_restores_the_thread_count(tmp_path):
    """The worker function (run here, on a small model: the student's lowering takes ~25 s and the fixture already ran
    it in spawned workers, fp32 and 8-bit in their order, checked above) leaves torch's thread count as it found it."""
    before = torch.get_num_threads(); torch.set_num_threads(2)
    try:
        E._pte_job((torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)).eval(),
                    torch.ones(1, 4), tmp_path / 'small.pte', False))
        assert torch.get_num_threads() == 2 and (tmp_path / 'small.pte').stat().st_size > 0
        out = E.load_pte(tmp_path / 'small.pte').execute([torch.ones(1, 4)])[0]
        assert out.shape == (1, 2)
    finally: torch.set_num_threads(before)

def test_a_failed_lowering_is_one_export_error_naming_the_program(tmp_path):
    with pytest.raises(E.ExportError, match=r'bad\.pte: lowering to ExecuTorch failed \('):
        E._pte_job((_DataDependent(), torch.ones(1, 4), tmp_path / 'bad.pte', False))
    assert not (tmp_path / 'bad.pte').exists()
