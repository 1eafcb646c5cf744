"""The stage cache (10_cli): a teacher trained by one run directory is restored, byte for byte, into another run made
from the same inputs; another key field trains a new one; a corrupt entry is deleted and rebuilt, never trusted; an
interrupted store leaves nothing a later run reads; `stage_cache=false` and `--force teacher` train for real."""
import json, os
from pathlib import Path
import torch
from safetensors.torch import load_file
from conftest import cli_here
from distilled_vit.rundir import stage_cache_path

BASE = ('--preset', 'smoke', '--set', 'n_clips=12')


def _teacher(tmp_path, name, *extra):
    r = cli_here('train-teacher', *BASE, *extra, '--out', str(tmp_path / name))
    assert r.returncode == 0, r.stderr[-2000:]
    return r, tmp_path / name / 'teacher'


def _entries():
    root = Path(os.environ['DISTILLED_VIT_CACHE'])
    return sorted(p for p in root.glob('stage-teacher-*') if p.is_dir())


def test_teacher_restored_into_another_run_and_rebuilt_when_corrupt(tmp_path):
    r, a = _teacher(tmp_path, 'a')
    assert 'teacher       running...' in r.stdout and 'restored from the stage cache' not in r.stdout
    (entry,) = _entries()
    info = json.loads((entry / 'entry.json').read_text())
    assert set(info['files']) >= {'model.safetensors', 'metrics.json', 'history.csv'}
    assert not any(f.startswith('checkpoint') for f in info['files']), 'the resume checkpoint is not cached'
    assert info['seconds'] == json.loads((a / 'done.json').read_text())['seconds'] > 0

    # another run directory, same inputs: restored, not trained; the same bytes; done.json says where it came from
    r, b = _teacher(tmp_path, 'b')
    assert 'restored from the stage cache' in r.stdout and 'teacher: epoch' not in r.stdout, r.stdout
    for f in info['files']: assert (b / f).read_bytes() == (a / f).read_bytes(), f
    done = json.loads((b / 'done.json').read_text())
    assert done['cache']['key'] == entry.name.split('-')[-1] and done['cache']['seconds'] == info['seconds']
    assert done['fingerprint'] == json.loads((a / 'done.json').read_text())['fingerprint']

    # a field the teacher reads: another key, trained for real; a field it does not read (KD weight): restored
    r, _ = _teacher(tmp_path, 'c', 'teacher_lr=0.001')
    assert 'restored from the stage cache' not in r.stdout and len(_entries()) == 2
    r, _ = _teacher(tmp_path, 'd', 'kd_alpha=0.7')
    assert 'restored from the stage cache' in r.stdout and len(_entries()) == 2

    # stage_cache=false and --force teacher train even though the entry exists
    r, _ = _teacher(tmp_path, 'e', 'stage_cache=false')
    assert 'restored from the stage cache' not in r.stdout and 'teacher       running...' in r.stdout, r.stdout
    stored = json.loads((entry / 'entry.json').read_text())['stored']
    r = cli_here('train-teacher', *BASE, '--force', 'teacher', '--out', str(tmp_path / 'd'))
    assert r.returncode == 0 and 'restored from the stage cache' not in r.stdout and 'teacher       running...' in r.stdout, r.stdout
    # what --force trained replaces the entry (the one forced past may be a bad one): stored anew, same files
    assert json.loads((entry / 'entry.json').read_text())['stored'] != stored and len(_entries()) == 2

    # one flipped byte in the cached weights: the entry is deleted with a warning, the teacher trained and stored again
    w = entry / 'model.safetensors'; raw = bytearray(w.read_bytes()); raw[len(raw) // 2] ^= 0xFF; w.write_bytes(bytes(raw))
    r, f = _teacher(tmp_path, 'f')
    assert 'unusable' in r.stderr and 'does not match its recorded checksum' in r.stderr, r.stderr
    assert 'restored from the stage cache' not in r.stdout and 'teacher       running...' in r.stdout
    ta, tf = load_file(a / 'model.safetensors'), load_file(f / 'model.safetensors')   # (header order may differ)
    assert ta.keys() == tf.keys() and all(torch.equal(ta[k], tf[k]) for k in ta), 'trained again: the same weights'
    assert set(json.loads((entry / 'entry.json').read_text())['files']) == set(info['files']), 'and stored again'
    # an unreadable entry.json (an entry cut short) is not trusted either
    (entry / 'entry.json').write_text('{"stage": "teach')
    r, _ = _teacher(tmp_path, 'g')
    assert 'unusable' in r.stderr and 'restored from the stage cache' not in r.stdout
    # a half-written store (a temporary folder left by a killed process) is never read
    for e in _entries(): os.rename(e, e.with_name(f'.{e.name}.abc.tmp'))
    r, _ = _teacher(tmp_path, 'h')
    assert 'restored from the stage cache' not in r.stdout and 'teacher       running...' in r.stdout


def test_report_says_the_teacher_came_from_the_cache(smoke_run, tmp_path, monkeypatch):
    out, _ = smoke_run                                   # the session's smoke pipeline stored its teacher in its cache
    monkeypatch.setenv('DISTILLED_VIT_CACHE', str(out.parent / 'cache'))
    two = tmp_path / 'two'
    r = cli_here('train-teacher', '--preset', 'smoke', '--out', str(two)); assert r.returncode == 0, r.stderr[-2000:]
    assert 'restored from the stage cache' in r.stdout
    r = cli_here('run', '--preset', 'smoke', '--out', str(two)); assert r.returncode == 0, r.stderr[-2000:]
    assert 'teacher       done earlier' in r.stdout       # restored by the earlier command, reported by this one
    one, rep = (json.loads((o / 'report.json').read_text()) for o in (out, two))
    assert one['stage_cache'] == {} and list(rep['stage_cache']) == ['teacher']
    assert rep['stage_cache']['teacher']['seconds'] == json.loads((out / 'teacher' / 'done.json').read_text())['seconds']
    for m in ('teacher', 'student', 'student_nokd'):     # the same results as the run that trained the teacher
        assert {k: v for k, v in one[m].items() if k.startswith('ccc')} == {k: v for k, v in rep[m].items() if k.startswith('ccc')}, m
    assert 'restored from the stage cache' in (two / 'report.md').read_text()
    assert rep['timings_s']['teacher'] < one['timings_s']['teacher']
