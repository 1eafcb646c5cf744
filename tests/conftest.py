"""Shared fixtures: every test gets a private feature cache and runs offline."""
import os, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
import soundfile as sf

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('MPLBACKEND', 'Agg')
ROOT = Path(__file__).resolve().parent.parent

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
