"""`torchrun distilled-vit run` on two CPU processes (gloo): the whole pipeline finishes, only rank 0 writes files, data
preparation and evaluation run once, the metrics and weights match a one-process run within the stated tolerances, and a rank killed
mid-training is recovered by rerunning the same command (training resumes from rank 0's checkpoint)."""
import json, os, subprocess, sys, textwrap
from pathlib import Path
import numpy as np
import pytest
from safetensors.numpy import load_file
from conftest import ROOT

# every file a rank opens for writing or renames into place, logged per rank (atomic writes end in os.replace)
LAUNCHER = textwrap.dedent('''
    import builtins, io, json, os, signal, sys
    rank = int(os.environ.get('RANK', '0')); writes = []
    _open, _replace = builtins.open, os.replace
    def _logged_open(file, mode='r', *a, **k):
        if isinstance(file, (str, os.PathLike)) and any(c in mode for c in 'wax+'): writes.append(os.path.abspath(file))
        return _open(file, mode, *a, **k)
    def _logged_replace(src, dst, *a, **k): writes.append(os.path.abspath(dst)); return _replace(src, dst, *a, **k)
    builtins.open = io.open = _logged_open; os.replace = _logged_replace
    kill_at = os.environ.get('DV_KILL_RANK1_AT_EPOCH')
    if kill_at and rank == 1:                            # rank 1 dies (SIGKILL) when the teacher starts that epoch
        import distilled_vit.train as T
        _batches = T._batches
        def _dying(n, bs, seed, epoch, r=0, w=1):
            if epoch == int(kill_at): os.kill(os.getpid(), signal.SIGKILL)
            return _batches(n, bs, seed, epoch, r, w)
        T._batches = _dying
    import atexit
    atexit.register(lambda: _open(os.environ['DV_WRITE_LOG'] + f'.rank{rank}', 'w').write(json.dumps(writes)))
    from distilled_vit.cli import main
    sys.exit(main(sys.argv[1:]))
''')
# with the GAN (rank 0 alone trains it and its reference models) and a corpus transfer set (a cache rank 0 builds)
ARGS = ['run', '--preset', 'smoke', '--set', 'teacher_epochs=4', 'num_threads=1', 'gan=true', 'kd_corpus=16']
# runs that must train their own teacher although another run's is in their feature cache; they are compared with the
# two-process run, not exported, so they stop after the evaluation (`evaluate`: every stage but the export)
TRAIN = ['evaluate', *ARGS[1:], 'stage_cache=false']
# |CCC difference| of one model between 1 and 2 processes: the global batch is split, gradients averaged, BatchNorm
# statistics all-reduced (03_train.GlooSyncBatchNorm), so only float summation order differs (measured: 4e-8)
TOLERANCE = 1e-6

def _torchrun(tmp, name, nproc, extra_env=None, timeout=600, args=ARGS):
    (tmp / 'launch.py').write_text(LAUNCHER)
    out = tmp / name
    env = dict(os.environ, OMP_NUM_THREADS='1', DISTILLED_VIT_CACHE=str(tmp / 'cache'), DV_WRITE_LOG=str(tmp / f'{name}.writes'))
    env.update(extra_env or {})
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', f'--nproc_per_node={nproc}',
           str(tmp / 'launch.py'), *args, '--out', str(out)]
    return out, subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)

def _writes(tmp, name, rank):
    p = tmp / f'{name}.writes.rank{rank}'
    return json.loads(p.read_text()) if p.exists() else None

@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('torchrun')
    one, r1 = _torchrun(tmp, 'one', 1, args=TRAIN)
    assert r1.returncode == 0, r1.stderr[-3000:]
    # its own (empty) feature cache: the two ranks train the teacher and rank 0 stores it in the stage cache
    two, r2 = _torchrun(tmp, 'two', 2, dict(DISTILLED_VIT_CACHE=str(tmp / 'cache-two')))
    assert r2.returncode == 0, r2.stderr[-3000:]
    return tmp, one, two, r2

def test_two_processes_finish_and_only_rank_0_writes(runs):
    tmp, one, two, r2 = runs
    w0, w1 = _writes(tmp, 'two', 0), _writes(tmp, 'two', 1)
    assert w0 is not None and w1 is not None, 'both ranks ran to the end'
    assert [p for p in w1 if p.startswith(str(tmp))] == [], f'rank 1 wrote {w1[:5]}'
    for f in ('data/summary.json', 'evaluate/evaluation.json', 'export/export.json', 'report.json', 'teacher/model.safetensors'):
        assert w0.count(str(two / f)) >= 1, f
    # data preparation and evaluation ran once (one process wrote their outputs, once each)
    for f in ('data/summary.json', 'evaluate/evaluation.json', 'report.json'): assert w0.count(str(two / f)) == 1, f
    assert r2.stdout.count('[1/8] data') == 2 and r2.stdout.count('evaluate: teacher') == 1   # rank 0 alone logs
    assert not list(two.rglob('*.tmp')) and (two / 'export' / 'student_wave_int8.onnx').is_file()
    assert w0.count(str(two / 'gan' / 'synthetic.npz')) == 1 and json.loads((two / 'student' / 'metrics.json').read_text())['transfer_windows'] == 16

def test_two_processes_match_one_within_tolerance(runs):
    tmp, one, two, _ = runs
    a, b = (json.loads((d / 'evaluate' / 'evaluation.json').read_text()) for d in (one, two))
    assert a['data'] == b['data'] and a['test'] == b['test']                                       # same data
    assert {k: v for k, v in a['baseline'].items() if 'latency' not in k} == {k: v for k, v in b['baseline'].items() if 'latency' not in k}
    for m in ('teacher', 'student', 'student_nokd'):
        for k in ('ccc_valence', 'ccc_arousal'):
            assert abs(a[m][k] - b[m][k]) <= TOLERANCE, (m, k, a[m][k], b[m][k])
        assert a[m]['params'] == b[m]['params']
    for m in ('teacher', 'student', 'student_nokd'):                  # and the weights themselves
        wa, wb = (load_file(str(d / m / 'model.safetensors')) for d in (one, two))
        assert wa.keys() == wb.keys() and max(float(np.abs(wa[k] - wb[k]).max()) for k in wa) <= 1e-5, m

def test_killed_rank_is_recovered_by_rerunning(runs):
    tmp, one, two, _ = runs
    out, r = _torchrun(tmp, 'killed', 2, dict(DV_KILL_RANK1_AT_EPOCH='2'), args=TRAIN)
    assert r.returncode != 0, 'torchrun reports the dead rank'
    assert (out / 'teacher' / 'checkpoint.pt').is_file() and not (out / 'teacher' / 'done.json').exists()
    out, r = _torchrun(tmp, 'killed', 2, args=TRAIN)     # the same command again
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'teacher: resuming after epoch 2 of 4' in r.stdout and 'gan           done earlier' in r.stdout
    a, b = (json.loads((d / 'evaluate' / 'evaluation.json').read_text()) for d in (two, out))
    for m in ('teacher', 'student', 'student_nokd'):      # resumed = uninterrupted, with the same two ranks
        assert a[m]['ccc_valence'] == pytest.approx(b[m]['ccc_valence'], abs=1e-6), m
        assert a[m]['ccc_arousal'] == pytest.approx(b[m]['ccc_arousal'], abs=1e-6), m

def test_teacher_from_the_stage_cache_under_two_processes(runs):
    """The two-process run trained its teacher and rank 0 alone stored it in the stage cache; two ranks in another run
    directory then restore it (rank 0 copies, both load after a barrier) and rank 1 writes nothing."""
    tmp, one, two, r2 = runs
    assert 'restored from the stage cache' not in r2.stdout and 'teacher epoch' in r2.stdout, 'the run trained its teacher'
    (entry,) = (tmp / 'cache-two').glob('stage-teacher-*')
    assert not [p for p in _writes(tmp, 'two', 1) if p.startswith(str(tmp / 'cache-two'))], 'rank 1 stored nothing'
    env = dict(DISTILLED_VIT_CACHE=str(tmp / 'cache-two'))
    second, r = _torchrun(tmp, 'cache-second', 2, env, args=['train-teacher', *ARGS[1:]])
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.count('restored from the stage cache') == 1 and 'teacher epoch' not in r.stdout, r.stdout
    assert (second / 'teacher' / 'model.safetensors').read_bytes() == (two / 'teacher' / 'model.safetensors').read_bytes()
    assert [p for p in _writes(tmp, 'cache-second', 1) if p.startswith(str(tmp))] == [], 'rank 1 wrote nothing'
    assert json.loads((second / 'teacher' / 'done.json').read_text())['cache']['key'] == entry.name.split('-')[-1]

# three windows, four ranks: rank 3 has none, yet learns the records' layout and takes part in every gather
TARGETS = textwrap.dedent('''
    import sys, numpy as np, torch
    from distilled_vit.core import get_config, seed_everything
    from distilled_vit.train import init_distributed
    from distilled_vit.teacher import create_teacher
    from distilled_vit.distill import teacher_targets
    rank, world = init_distributed()
    seed_everything(0, 1); cfg = get_config('smoke'); teacher = create_teacher(cfg)
    X = np.random.default_rng(0).normal(size=(int(sys.argv[2]), cfg.n_mels, cfg.win_frames)).astype(np.float32)
    teacher_targets(teacher, X, np.arange(len(X)) * 10, [0, 1], sys.argv[1], batch_size=2, progress=False)
''')

def test_teacher_targets_with_fewer_windows_than_ranks(tmp_path):
    """Every rank computes every `world`-th window's targets and rank 0 gathers them: with 3 windows on 4 ranks one rank
    has none. The file holds the 3 records, in window order, as one process computes them (float summation order
    aside)."""
    (tmp_path / 'targets.py').write_text(TARGETS)
    env = dict(os.environ, OMP_NUM_THREADS='1', DISTILLED_VIT_DIST_TIMEOUT_MIN='2')   # a hang fails, not waits
    for n, path in ((4, 'four.npy'), (1, 'one.npy')):
        r = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', f'--nproc_per_node={n}',
                            str(tmp_path / 'targets.py'), str(tmp_path / path), '3'],
                           capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
    four, one = (np.load(tmp_path / p) for p in ('four.npy', 'one.npy'))
    assert list(four['id']) == [0, 10, 20] and four.dtype == one.dtype
    np.testing.assert_allclose(four['pred'], one['pred'], atol=1e-6)
    np.testing.assert_allclose(four['hidden'].astype(np.float32), one['hidden'].astype(np.float32), rtol=1e-2, atol=1e-2)
