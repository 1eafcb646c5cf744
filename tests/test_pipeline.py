"""The whole pipeline from the command line: smoke run end to end, skip/force, the paper dry run."""
import json, os
from pathlib import Path
import pytest
from conftest import cli, cli_here, netguard, write_tone
from distilled_vit.core import STAGES

MODEL_KEYS = ('params', 'size_mb', 'ccc_valence', 'ccc_arousal', 'mae_valence', 'mae_arousal', 'latency_ms_b1')

def test_report_has_every_section(smoke_run):
    out, r = smoke_run
    rep = json.loads((out / 'report.json').read_text())
    assert rep['preset'] == 'smoke' and rep['dataset']
    for m in ('teacher', 'student', 'student_nokd', 'baseline'):
        for k in MODEL_KEYS: assert k in rep[m], (m, k)
    assert set(rep['retention_pct']) >= {'valence', 'arousal', 'mean'}
    assert set(rep['compression']) >= {'params_ratio', 'size_ratio'}
    assert rep['export'] and rep['timings_s']
    assert (out / 'report.md').exists()
    for stage in ('data', 'teacher', 'student', 'student_nokd', 'evaluate', 'export'):
        assert (out / stage / 'done.json').exists(), stage
    assert list(out.rglob('*.png')), 'figures are saved in the run directory'
    assert not list(out.rglob('.*.tmp')), 'no half-written files'
    um = os.umask(0); os.umask(um)                        # artefacts carry the user's usual mode (not safetensors' 0600)
    for f in list(out.rglob('*.safetensors')) + list(out.rglob('*.json')):
        assert f.stat().st_mode & 0o777 == 0o666 & ~um, (f, oct(f.stat().st_mode & 0o777))
    assert '[8/8] export' in r.stdout                     # a progress line per stage
    # the exported model is the one the validation gate chose, and its eager reference is that model
    gate = rep['kd_gate']
    assert gate['applied'] == (gate['teacher_val_ccc'] > gate['nokd_val_ccc']) and rep['export']['model'] == gate['shipped']
    assert rep['export']['reference']['ccc_valence'] == pytest.approx(rep[gate['shipped']]['ccc_valence'], abs=1e-6)
    assert gate['text'] in r.stdout

def test_rerun_skips_finished_stages_and_force_redoes(smoke_run):
    out, _ = smoke_run
    r = cli_here('run', '--preset', 'smoke', '--out', str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.count('done earlier') == 6            # everything but the (cached) data and pretrain stages
    before = (out / 'student' / 'done.json').stat().st_mtime
    r = cli_here('run', '--preset', 'smoke', '--out', str(out), '--force', 'student')
    assert r.returncode == 0, r.stderr[-2000:]
    assert (out / 'student' / 'done.json').stat().st_mtime > before
    ran = sorted(s for s in STAGES if any(l.split()[1:3] == [s, 'running...'] for l in r.stdout.splitlines()))
    assert ran == sorted(['data', 'pretrain', 'student', 'student_nokd', 'evaluate', 'export']), r.stdout   # X and every later stage
    assert 'teacher       done earlier' in r.stdout and 'gan           done earlier' in r.stdout

def test_paper_preset_dry_run(tmp_path):
    r = cli_here('run', '--preset', 'paper', '--dry-run', '--out', str(tmp_path / 'paper'))   # in process: no second torch start-up
    assert r.returncode == 0, r.stderr[-3000:]
    cfg = json.loads((tmp_path / 'paper' / 'config.json').read_text())
    assert cfg['teacher_arch'] == 'vit_base_patch16_224' and cfg['max_batches'] == 1
    rep = json.loads((tmp_path / 'paper' / 'report.json').read_text())
    assert rep['teacher']['params'] > 80e6

def test_nothing_is_downloaded(smoke_run, tmp_path):
    "The smoke pipeline (fixture) and `predict` ran with every network connection refused and logged: none was tried."
    out, _ = smoke_run
    r = cli('predict', str(write_tone(tmp_path / 'a.wav', seconds=3.0)), '--model', str(out / 'export'), env=netguard(out.parent))
    assert r.returncode == 0, r.stderr[-2000:]
    log = (out.parent / 'network.log').read_text().splitlines()
    assert log.count('loaded') >= 2, 'the guard was active in both processes'
    assert [l for l in log if l != 'loaded'] == [], log
