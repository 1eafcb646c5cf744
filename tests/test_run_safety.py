"""The run directory's two safety promises, end to end from the command line: the pipeline deletes only what it
created, and never reuses results made from other data or another config."""
import contextlib, io, json
import pandas as pd
from conftest import cli, cli_here, write_tone
from distilled_vit.rundir import STAGES
from distilled_vit.cli import main


def _user_project(root):
    "A user's project folder with a sub-folder named after every stage, each holding a file."
    for s in STAGES:
        (root / s).mkdir(parents=True); (root / s / 'README.txt').write_text(f'keep {s}')
    (root / 'notes.txt').write_text('keep')
    return root


def _untouched(root):
    for s in STAGES: assert (root / s / 'README.txt').read_text() == f'keep {s}', s
    assert (root / 'notes.txt').read_text() == 'keep'
    assert sorted(p.name for p in root.iterdir()) == sorted(STAGES + ('notes.txt',)), 'nothing was added either'


def test_force_never_deletes_a_users_folders(tmp_path):
    proj = _user_project(tmp_path / 'proj')
    for force in STAGES:                                   # every --force value, in process (fast)
        err = io.StringIO()
        with contextlib.redirect_stderr(err): rc = main(['run', '--preset', 'smoke', '--out', str(proj), '--force', force])
        assert rc == 2 and 'not a distilled-vit run directory' in err.getvalue(), (force, err.getvalue())
        _untouched(proj)
    # the reported case, as a user types it: `--out .` from inside the project, `--force data`
    r = cli('run', '--preset', 'smoke', '--data', 'data/manifest.csv', '--out', '.', '--force', 'data', cwd=proj)
    assert r.returncode == 2 and r.stderr.count('\n') == 1 and 'not a distilled-vit run directory' in r.stderr, r.stderr
    _untouched(proj)


def test_stage_named_folder_the_run_did_not_make_survives(tmp_path):
    out = tmp_path / 'run'
    assert cli_here('prepare-data', '--preset', 'smoke', '--out', str(out)).returncode == 0     # in process (fast)
    (out / 'teacher').mkdir(); (out / 'teacher' / 'mine.txt').write_text('keep')
    for args in (('train-teacher',), ('run', '--force', 'data'), ('run', '--force', 'teacher')):
        r = cli_here(*args, '--preset', 'smoke', '--out', str(out))
        assert r.returncode == 2 and 'was not created by this run' in r.stderr and 'Traceback' not in r.stderr, (args, r.stderr)
        assert (out / 'teacher' / 'mine.txt').read_text() == 'keep'


def _manifest(root, n=16):
    rows = []
    for i in range(n):
        write_tone(root / 'audio' / f'song{i // 2}_{i}.wav', seconds=2.0, freq=180 + 50 * i)
        rows.append(dict(path=f'audio/song{i // 2}_{i}.wav', valence=-0.9 + 1.8 * i / (n - 1),
                         arousal=0.9 - 1.8 * ((3 * i) % n) / (n - 1), group=f'song{i // 2}'))
    pd.DataFrame(rows).to_csv(root / 'manifest.csv', index=False)
    return root / 'manifest.csv'


def _lines(stdout, what):
    "Stage names whose progress line says `what`."
    return sorted(s for s in STAGES for l in stdout.splitlines() if f'] {s:<13} {what}' in l)


def test_changed_inputs_redo_exactly_the_affected_stages(tmp_path):
    m = _manifest(tmp_path / 'ds'); out = str(tmp_path / 'run')
    base = ('--preset', 'smoke', '--data', str(m), '--out', out)
    r = cli_here('evaluate', *base); assert r.returncode == 0, r.stderr[-2000:]     # every stage but the export (seconds saved)

    # another KD weight: the KD student and what reads it are redone; the teacher and the no-KD student are reused
    r = cli_here('evaluate', *base, '--set', 'kd_alpha=0.7'); assert r.returncode == 0, r.stderr[-2000:]
    assert _lines(r.stdout, 'inputs changed') == ['evaluate', 'student'], r.stdout
    assert _lines(r.stdout, 'done earlier') == ['gan', 'student_nokd', 'teacher']
    assert 'kd_alpha 0.5 -> 0.7' in r.stdout
    report = json.loads((tmp_path / 'run' / 'evaluate' / 'evaluation.json').read_text())

    # the reported case: every label negated in place -> the data changed, everything after it is stale; the finished
    # teacher is not trained again unless asked (--force teacher), and refusing touches none of its files
    teacher = {p.name: p.read_bytes() for p in (tmp_path / 'run' / 'teacher').iterdir() if p.is_file()}
    df = pd.read_csv(m); df[['valence', 'arousal']] *= -1; df.to_csv(m, index=False)
    r = cli_here('train-teacher', *base, '--set', 'kd_alpha=0.7')
    err = r.stderr.strip().splitlines()[-1]
    assert r.returncode == 2 and err.startswith('error: ') and 'Traceback' not in r.stderr, r.stderr
    assert 'the finished teacher would be trained again (data stage changed, gan stage changed); pass --force teacher' in err
    assert 'the data changed since the last run' in r.stdout
    assert {p.name: p.read_bytes() for p in (tmp_path / 'run' / 'teacher').iterdir() if p.is_file()} == teacher
    r = cli_here('train-teacher', *base, '--set', 'kd_alpha=0.7', '--force', 'teacher'); assert r.returncode == 0, r.stderr[-2000:]
    assert _lines(r.stdout, 'inputs changed') == ['gan']
    assert _lines(r.stdout, 'running...') == ['data', 'gan', 'pretrain', 'teacher']
    # an audio file replaced (same name, other sound)
    write_tone(tmp_path / 'ds' / 'audio' / 'song0_0.wav', seconds=2.0, freq=1234)
    r = cli_here('train-teacher', *base, '--set', 'kd_alpha=0.7')
    assert r.returncode == 2 and 'data stage changed' in r.stderr and 'the data changed since the last run' in r.stdout
    r = cli_here('train-teacher', *base, '--set', 'kd_alpha=0.7', '--force', 'teacher'); assert r.returncode == 0, r.stderr[-2000:]
    assert _lines(r.stdout, 'inputs changed') == ['gan']
    # a front-end field
    r = cli_here('train-teacher', *base, '--set', 'kd_alpha=0.7', 'fmin=60', '--force', 'teacher'); assert r.returncode == 0, r.stderr[-2000:]
    assert 'the data changed since the last run' in r.stdout and _lines(r.stdout, 'inputs changed') == ['gan']
    # a teacher field: refused the same way, naming it
    r = cli_here('train-teacher', *base, '--set', 'kd_alpha=0.7', 'fmin=60', 'teacher_lr=0.001')
    assert r.returncode == 2 and 'teacher_lr 0.0005 -> 0.001' in r.stderr, r.stderr

    # the whole run now: the students and evaluation were made from the old data (--force teacher removed them) and are redone
    r = cli_here('evaluate', *base, '--set', 'kd_alpha=0.7', 'fmin=60'); assert r.returncode == 0, r.stderr[-2000:]
    assert _lines(r.stdout, 'running...') == ['data', 'evaluate', 'pretrain', 'student', 'student_nokd'], r.stdout
    assert _lines(r.stdout, 'done earlier') == ['gan', 'teacher']
    new = json.loads((tmp_path / 'run' / 'evaluate' / 'evaluation.json').read_text())
    assert new['student']['ccc_valence'] != report['student']['ccc_valence']
    done = json.loads((tmp_path / 'run' / 'student' / 'done.json').read_text())
    assert done['inputs']['config']['kd_alpha'] == 0.7 and set(done['inputs']['stages']) == {'data', 'gan', 'teacher'}


def test_dry_run_or_other_preset_never_replaces_a_finished_run(tmp_path):
    "A --dry_run (or another preset) into a finished run's folder is refused before anything is written; --force asks."
    out = tmp_path / 'run'
    r = cli_here('train-teacher', '--preset', 'smoke', '--out', str(out), '--set', 'n_clips=12', 'kd_corpus=0')
    assert r.returncode == 0, r.stderr[-2000:]
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob('*') if p.is_file()}
    for extra in (('--preset', 'smoke', '--dry_run'), ('--preset', 'cpu', '--dry_run'), ('--preset', 'cpu')):
        r = cli_here('train-teacher', *extra, '--out', str(out))
        assert r.returncode == 2 and r.stderr.count('\n') == 1 and 'holds a finished smoke run (trained: gan, teacher)' in r.stderr, (extra, r.stderr)
        assert '--force gan' in r.stderr and 'Traceback' not in r.stderr
        assert {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob('*') if p.is_file()} == before   # nothing touched
    # issue 35: the refusals that need the data (new inputs for the finished teacher) come before anything is written
    # too (a refused front-end field used to replace data/norm.safetensors and config.json, a refused teacher_lr to
    # stay in config.json); `--set dry_run=true` is a --dry_run, refused the same way
    for extra, says in ((('frontend.n_mels=48',), 'would be trained again (data stage changed, gan stage changed)'),
                        (('teacher_lr=0.001',), 'would be trained again (teacher_lr 0.0005 -> 0.001)'),
                        (('dry_run=true',), 'a --dry_run would replace its models')):
        r = cli_here('train-teacher', '--preset', 'smoke', '--out', str(out), '--set', 'n_clips=12', 'kd_corpus=0', *extra)
        err = r.stderr.rstrip().split('\n')[-1]
        assert r.returncode == 2 and err.startswith('error: ') and says in err and 'Traceback' not in r.stderr, (extra, err)
        assert {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob('*') if p.is_file()} == before, extra
    assert 'the data changed since the last run' not in r.stdout
    # a field of a stage its switch turns off (pretraining and the GAN are off in smoke) is no change: the finished
    # teacher and GAN are reused, not refused
    r = cli_here('train-teacher', '--preset', 'smoke', '--out', str(out), '--set', 'n_clips=12', 'kd_corpus=0',
                 'pretrain_windows=99', 'gan_epochs=7')
    assert r.returncode == 0 and _lines(r.stdout, 'done earlier') == ['gan', 'teacher'], (r.stdout, r.stderr[-2000:])
    r = cli_here('train-teacher', '--preset', 'smoke', '--dry_run', '--out', str(out), '--force', 'gan')   # asked for
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((out / 'config.json').read_text())['dry_run'] is True
    r = cli_here('train-teacher', '--preset', 'smoke', '--out', str(out), '--set', 'n_clips=12', 'kd_corpus=0')   # a full run over a dry run
    assert r.returncode == 0, r.stderr[-2000:]



def test_a_killed_writes_temp_file_is_removed_by_the_rerun(tmp_path):
    "A temp file that a SIGKILLed atomic write left in a stage folder is never read and is gone after the next run."
    from distilled_vit.rundir import RunDir
    from distilled_vit.core import get_config
    out = tmp_path / 'run'
    t = RunDir(out, get_config('smoke')).stage('teacher') / '.model.safetensors.k1ll3d.tmp'; t.write_bytes(b'half')
    r = cli_here('train-teacher', '--preset', 'smoke', '--out', str(out), '--set', 'n_clips=12', 'kd_corpus=0')
    assert r.returncode == 0, r.stderr[-2000:]
    assert not t.exists() and (out / 'teacher' / 'model.safetensors').is_file()


def test_a_second_run_into_a_busy_out_is_refused_and_the_first_finishes(tmp_path):
    """Two runs into one --out used to train into the same folder (one resuming the other's checkpoint, exit 0): the
    second is refused in one line naming the first one's pid, before writing anything; the first is undisturbed."""
    import os, subprocess, sys, time
    from distilled_vit.rundir import LOCK_FILE
    out, args = tmp_path / 'run', ('train-teacher', '--preset', 'smoke', '--set', 'n_clips=12', 'stage_cache=false')
    first = subprocess.Popen([sys.executable, '-c', 'import sys; from distilled_vit.cli import main; sys.exit(main())',
                              *args, '--out', str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while not ((out / LOCK_FILE).is_file() and (out / LOCK_FILE).read_text().startswith('pid')):
        assert first.poll() is None and time.time() - t0 < 120, 'the first run never took its lock'
        time.sleep(0.05)
    second = cli_here(*args, '--out', str(out))
    assert second.returncode == 2 and second.stdout == '', second
    assert second.stderr == (f"error: {out} is in use by another distilled-vit run (pid {first.pid}, since "
                             f"{(out / LOCK_FILE).read_text().split('since ')[1]}); wait for it to finish, or give "
                             f"this run another --out\n"), second.stderr
    stdout, stderr = first.communicate(timeout=600)
    assert first.returncode == 0, stderr[-2000:]
    assert stdout.count('teacher       running...') == 1 and 'resum' not in stdout, stdout
    assert json.loads((out / 'teacher' / 'done.json').read_text())['stage'] == 'teacher'
    # the first run has finished: its folder takes the next run, which reuses what it made
    r = cli_here(*args, '--out', str(out))
    assert r.returncode == 0 and 'teacher       done earlier' in r.stdout, r.stdout + r.stderr
