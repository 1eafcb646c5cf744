"""Interruption: a training stage killed with SIGKILL mid-epoch, rerun with the same command, resumes from its last
checkpoint and ends with the metrics of an uninterrupted run; the same holds for the whole pipeline at stage level."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest
from conftest import cli_here, ROOT
from distilled_vit.train import load_checkpoint, CheckpointError

def _teacher_cmd(out, epochs=6):
    # stage cache off: the reference run's teacher would otherwise be restored, not trained, in the killed run
    return ('train-teacher', '--preset', 'smoke', '--out', str(out), '--set', f'teacher_epochs={epochs}', 'n_clips=40',
            'stage_cache=false')

def test_sigkill_mid_training_resumes_to_identical_metrics(tmp_path):
    env = dict(os.environ)
    ref = cli_here(*_teacher_cmd(tmp_path / 'ref'))        # in process: only the killed run needs a process of its own
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
    # SIGKILL may land inside an atomic write: its temporary file can stay (nothing catches SIGKILL), but no artefact is
    # half-written under its own name, and the rerun removes the temp file before it works
    left = list((tmp_path / 'killed' / 'teacher').glob('.*.tmp'))
    assert all(t.name.startswith('.') and t.name.endswith('.tmp') for t in left)
    assert load_checkpoint(ck)['epoch'] >= 1                                 # the checkpoint under its name is whole
    res = cli_here(*_teacher_cmd(tmp_path / 'killed'))
    assert res.returncode == 0, res.stderr
    assert not list((tmp_path / 'killed' / 'teacher').glob('.*.tmp')), 'a killed write\'s temp file was left behind'
    assert 'resuming after epoch' in res.stdout + res.stderr
    a = json.loads((tmp_path / 'ref' / 'teacher' / 'metrics.json').read_text())
    b = json.loads((tmp_path / 'killed' / 'teacher' / 'metrics.json').read_text())
    for k in ('ccc_valence', 'ccc_arousal', 'mae_valence', 'mae_arousal'): assert a[k] == pytest.approx(b[k], abs=1e-6), k

def _metrics(rep):
    "Every number of the report that the seed decides (not timings)."
    return {m: {k: v for k, v in rep[m].items() if k.startswith(('ccc', 'mae', 'rmse', 'r_', 'clip_', 'params'))}
            for m in ('teacher', 'student', 'student_nokd', 'baseline')}

def test_sigkill_during_pipeline_resumes_at_stage_level(tmp_path, smoke_run):
    """Killed once the teacher is done, the same command finishes the run from there. This is also the determinism
    test: every model of this fresh run directory is trained again from the seed (data, GAN, teacher in the killed
    process; the students, evaluation and export in the resumed one), and the report equals the reference run's to
    the last digit, every metric of every model."""
    ref_out, _ = smoke_run
    out = tmp_path / 'run'
    proc = subprocess.Popen([sys.executable, '-c', 'import sys; from distilled_vit.cli import main; sys.exit(main())',
                             'run', '--preset', 'smoke', '--out', str(out)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while time.time() - t0 < 300 and not (out / 'teacher' / 'done.json').exists(): time.sleep(0.05)
    proc.send_signal(signal.SIGKILL); proc.wait()
    assert (out / 'teacher' / 'done.json').exists() and not (out / 'report.json').exists()
    r = cli_here('run', '--preset', 'smoke', '--out', str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'teacher       done earlier' in r.stdout
    a = json.loads((ref_out / 'report.json').read_text()); b = json.loads((out / 'report.json').read_text())
    assert _metrics(a) == _metrics(b) and len(_metrics(a)['student']) >= 10


def test_ctrl_c_swallowed_by_a_callback_still_stops_the_export():
    "Issue 26: Ctrl-C during torch.export landed in a weakref finaliser, was printed as 'Exception ignored' and the run went on."
    import os, signal, weakref, gc
    from distilled_vit.export import _interrupts_stop, _raise_if_interrupted
    class Obj: pass
    seen, before = None, signal.getsignal(signal.SIGINT)  # Python's default, or SIG_IGN when started in the background
    with _interrupts_stop():
        o = Obj(); weakref.finalize(o, lambda: os.kill(os.getpid(), signal.SIGINT))
        del o; gc.collect()                              # the finaliser raises KeyboardInterrupt: Python swallows it there
        for _ in range(1000): pass                       # (the handler runs at the next bytecode boundary)
        try: _raise_if_interrupted()
        except KeyboardInterrupt: seen = True
    assert seen, 'the swallowed Ctrl-C was lost'
    assert signal.getsignal(signal.SIGINT) is before                         # the previous handler is back
