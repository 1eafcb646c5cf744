"""Determinism: two runs of the smoke preset with one seed give identical metrics in report.json."""
import json
from conftest import cli

def _metrics(rep):
    return {m: {k: v for k, v in rep[m].items() if k.startswith(('ccc', 'mae', 'rmse', 'r_', 'clip_', 'params'))}
            for m in ('teacher', 'student', 'student_nokd', 'baseline')}

def test_same_seed_same_numbers(smoke_run, tmp_path):
    out, _ = smoke_run
    r = cli('run', '--preset', 'smoke', '--out', str(tmp_path / 'again'))
    assert r.returncode == 0, r.stderr[-2000:]
    a = json.loads((out / 'report.json').read_text()); b = json.loads((tmp_path / 'again' / 'report.json').read_text())
    assert _metrics(a) == _metrics(b)

