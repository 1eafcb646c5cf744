"""Shared fixtures: every test gets a private feature cache and runs offline."""
import os, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
import soundfile as sf

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('MPLBACKEND', 'Agg')
ROOT = Path(__file__).resolve().parent.parent

# seconds each file's tests took (pytest --durations=0, one process, 2 cores, 2026-12-07); a file not listed counts
# DEFAULT_COST. Only the order in which pytest-xdist's workers take the files reads them (`make test`: -n 2).
COST = {'test_torchrun.py': 136, 'test_pipeline.py': 126, 'test_mobile.py': 92, 'test_interruption.py': 76,
        'test_browser.py': 69, 'test_run_safety.py': 68, 'test_gan.py': 57, 'test_predict.py': 26,
        'test_stage_cache.py': 24, 'test_no_leak.py': 20, 'test_data.py': 14, 'test_user_errors.py': 13,
        'test_score.py': 12, 'test_cli_help.py': 12}
DEFAULT_COST = 8

def work_units(files: list, text=lambda f: Path(f).read_text()) -> tuple[dict, dict]:
    """Units of work for pytest-xdist's workers: ({file: unit}, {unit: cost}). A file is a unit (its module fixtures
    are built once); the files that use the session's smoke run are one (it is built once)."""
    unit = {f: 'smoke_run' if 'smoke_run' in text(f) else Path(f).name for f in files}
    cost = {}
    for f, u in unit.items(): cost[u] = cost.get(u, 0) + COST.get(Path(f).name, DEFAULT_COST)
    return unit, cost

@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist, the longest units first (tests keep their order within a unit): a worker that is free
    takes the next, so the two finish together (the longest first leaves the short ones to fill the end)."""
    if not hasattr(config, 'workerinput'): return
    unit, cost = work_units(sorted({str(it.path) for it in items}))
    items.sort(key=lambda it: (-cost[unit[str(it.path)]], unit[str(it.path)]))

def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist (`make test`: `-n 2`) hands out `work_units` in the order collected (longest first), one at a time
    to whichever worker is nearly done. (xdist's own `--dist loadgroup` marks are ignored under pytest 9.2:
    pytest-xdist issue 1386.)"""
    from xdist.scheduler import LoadScopeScheduling
    config.option.loadscopereorder = False        # keep the collection's order, not xdist's by number of tests
    class Units(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            if not hasattr(self, '_unit'):
                files = sorted({str(config.rootpath / n.split('::')[0]) for n in self.collection})
                self._unit = work_units(files)[0]
            return self._unit[str(config.rootpath / nodeid.split('::')[0])]
    return Units(config, log)

@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv('DISTILLED_VIT_CACHE', str(tmp_path / 'feature-cache'))

def write_tone(path, seconds=1.0, sr=16000, freq=440.0, channels=1):
    "A short sine tone file (format from the suffix)."
    t = np.arange(int(seconds * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * freq * t).astype(np.float32)
    if channels > 1: y = np.stack([y] * channels, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), y, sr)
    return path

def cli(*args, env=None, timeout=600, cwd=ROOT):
    "Run `distilled-vit ARGS` in a subprocess (in folder `cwd`); returns CompletedProcess (text)."
    e = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, '-c', 'import sys; from distilled_vit.cli import main; sys.exit(main())', *args],
                          capture_output=True, text=True, env=e, timeout=timeout, cwd=cwd)

def cli_here(*args):
    """Run `distilled-vit ARGS` in this process, for tests that call the CLI many times (no interpreter and torch
    start-up each time); returns what `cli` does: returncode, stdout, stderr."""
    import contextlib, io, types
    from distilled_vit.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err): rc = main(list(args))
    return types.SimpleNamespace(returncode=rc, stdout=out.getvalue(), stderr=err.getvalue())

def netguard(folder) -> dict:
    "Environment that refuses (and logs to folder/network.log) every network connection of a `cli` subprocess."
    return dict(PYTHONPATH=os.pathsep.join([str(ROOT / 'tests' / 'netguard')] + [p for p in [os.environ.get('PYTHONPATH')] if p]),
                DVIT_NETGUARD_LOG=str(folder / 'network.log'))

@pytest.fixture(scope='session')
def smoke_run(tmp_path_factory):
    "One `distilled-vit run --preset smoke` shared by the pipeline, determinism and interruption tests."
    out = tmp_path_factory.mktemp('smoke') / 'run'
    r = cli('run', '--preset', 'smoke', '--out', str(out), env={'DISTILLED_VIT_CACHE': str(out.parent / 'cache'), **netguard(out.parent)})
    assert r.returncode == 0, r.stderr[-3000:]
    return out, r
