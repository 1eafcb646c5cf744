"""Guarantees: untrusted checkpoints are refused, a SIGKILLed training resumes to the same numbers, runs are
deterministic, user errors are one line."""
import json, os, pickle, signal, subprocess, sys, time
from pathlib import Path
import pytest
import torch
from conftest import cli, ROOT
from distilled_vit.train import load_checkpoint, CheckpointError

class _Evil:
    def __reduce__(self): return (os.system, ('touch /tmp/distilled_vit_pwned',))

def test_pickle_that_would_run_code_is_refused(tmp_path):
    p = tmp_path / 'checkpoint.pt'
    torch.save({'model': {}, 'payload': _Evil()}, p)
    if os.path.exists('/tmp/distilled_vit_pwned'): os.unlink('/tmp/distilled_vit_pwned')
    with pytest.raises(CheckpointError, match='refused to load checkpoint'): load_checkpoint(p)
    assert not os.path.exists('/tmp/distilled_vit_pwned')

def test_corrupt_checkpoint_is_one_clear_error(tmp_path):
    p = tmp_path / 'checkpoint.pt'; p.write_bytes(b'garbage' * 10)
    with pytest.raises(CheckpointError, match='checkpoint.pt: refused to load checkpoint'): load_checkpoint(p)

def _teacher_cmd(out, epochs=6):
    return ('train-teacher', '--preset', 'smoke', '--out', str(out), '--set', f'teacher_epochs={epochs}', 'n_clips=40')

def test_sigkill_mid_training_resumes_to_identical_metrics(tmp_path):
    env = dict(os.environ)
    ref = cli(*_teacher_cmd(tmp_path / 'ref'))
    assert ref.returncode == 0, ref.stderr
    # the same command, killed with SIGKILL once two epochs are checkpointed
    proc = subprocess.Popen([sys.executable, '-c', 'import sys; from distilled_vit.cli import main; sys.exit(main())',
                             *_teacher_cmd(tmp_path / 'killed')], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ck = tmp_path / 'killed' / 'teacher' / 'checkpoint.pt'
    t0 = time.time()
    while time.time() - t0 < 300:
        if ck.exists():
            try:
                if load_checkpoint(ck)['epoch'] >= 1: break
            except CheckpointError: pass
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL); proc.wait()
    assert not (tmp_path / 'killed' / 'teacher' / 'done.json').exists(), 'killed too late to test resume'
    assert not list((tmp_path / 'killed' / 'teacher').glob('.*.tmp')), 'a half-written temp file was left behind'
    res = cli(*_teacher_cmd(tmp_path / 'killed'))
    assert res.returncode == 0, res.stderr
    assert 'resuming after epoch' in res.stdout + res.stderr
    a = json.loads((tmp_path / 'ref' / 'teacher' / 'metrics.json').read_text())
    b = json.loads((tmp_path / 'killed' / 'teacher' / 'metrics.json').read_text())
    for k in ('ccc_valence', 'ccc_arousal', 'mae_valence', 'mae_arousal'): assert a[k] == pytest.approx(b[k], abs=1e-6), k

def test_mismatched_run_directory_is_refused(tmp_path):
    assert cli('prepare-data', '--preset', 'smoke', '--out', str(tmp_path / 'r'), '--set', 'n_clips=20').returncode == 0
    r = cli('prepare-data', '--preset', 'smoke', '--out', str(tmp_path / 'r'), '--set', 'n_clips=30')
    assert r.returncode == 2 and 'n_clips: 20 -> 30' in r.stderr and 'Traceback' not in r.stderr

def test_unknown_preset_and_bad_override(tmp_path):
    r = cli('run', '--preset', 'giant', '--out', str(tmp_path / 'r'))
    assert r.returncode == 2 and r.stderr.strip() == "error: unknown preset 'giant'; choose one of smoke, cpu, paper"
    r = cli('run', '--preset', 'smoke', '--out', str(tmp_path / 'r'), '--set', 'kd_epochs=many')
    assert r.returncode == 2 and "config field 'kd_epochs' expects int, got 'many'" in r.stderr
