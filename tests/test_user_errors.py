"""User errors from the command line: one `error:` line, exit status 2, no traceback."""
from pathlib import Path
import numpy as np
from conftest import cli, write_tone

def test_unknown_preset_and_bad_override(tmp_path):
    r = cli('run', '--preset', 'giant', '--out', str(tmp_path / 'r'))
    assert r.returncode == 2 and r.stderr.strip() == "error: unknown preset 'giant'; choose one of smoke, cpu, paper"
    r = cli('run', '--preset', 'smoke', '--out', str(tmp_path / 'r'), '--set', 'kd_epochs=many')
    assert r.returncode == 2 and "config field 'kd_epochs' expects int, got 'many'" in r.stderr

def test_out_of_range_values_stop_before_any_work(tmp_path):
    "Values that used to end in a traceback minutes into a run are one line up front, and nothing is written."
    for kv, msg in (('batch_size=0', "'batch_size' must be ≥ 1, got 0"), ('seed=-1', "'seed' must be ≥ 0"),
                    ('device=tpu', "'device' must be one of"), ('n_mels=1', "'n_mels' must be ≥ 8"),
                    ('onnx_opset=1', "'onnx_opset' must be ≥ 14"), ('teacher_epochs=0', "'teacher_epochs' must be ≥ 1")):
        r = cli('run', '--preset', 'smoke', '--out', str(tmp_path / 'r'), '--set', kv)
        assert r.returncode == 2 and msg in r.stderr and r.stderr.count('\n') == 1, (kv, r.stderr)
    assert not (tmp_path / 'r').exists()


def test_weak_cases_of_the_third_audit_are_one_clear_line(tmp_path):
    "Issue 26's weak cases: each is one `error:` line that says what is wrong, no traceback."
    import contextlib, io, os, numpy as np
    from conftest import cli_here, write_tone
    from distilled_vit.data import read_manifest, ManifestError
    from distilled_vit.audio import load_audio, AudioError
    write_tone(tmp_path / 'a.wav', seconds=2.0)
    (tmp_path / 'inf.csv').write_text('path,valence,arousal\na.wav,inf,0.1\n')
    (tmp_path / 'x.csv').mkdir()
    cases = [(('run', '--preset', 'smoke', '--data', str(tmp_path / 'inf.csv'), '--out', str(tmp_path / 'r1')), 'valence inf is infinite'),
             (('run', '--preset', 'smoke', '--data', str(tmp_path / 'x.csv'), '--out', str(tmp_path / 'r2')), 'is a folder, not a manifest'),
             (('run', '--preset', 'smoke', '--data', str(tmp_path / 'a.wav'), '--out', str(tmp_path / 'r3')), 'is audio, not a manifest'),
             (('run', '--preset', 'smoke', '--set', f'teacher_weights={tmp_path}', 'n_clips=6', '--out', str(tmp_path / 'r4')),
              'teacher_weights is a folder')]
    for args, msg in cases:
        r = cli_here(*args)
        last = r.stderr.strip().splitlines()[-1]
        assert r.returncode == 2 and last.startswith('error: ') and msg in last and 'Traceback' not in r.stderr, (args, r.stderr[-800:])
    assert 'data          running' not in r.stdout          # teacher_weights is checked before any work
    for w, msg in ((str(tmp_path / 'nope.safetensors'), 'teacher weights file does not exist'), ('timm:vit_tiny_patch16_224', 'offline')):
        r = cli_here('run', '--preset', 'smoke', '--set', f'teacher_weights={w}', '--out', str(tmp_path / 'r5'))
        assert r.returncode == 2 and msg in r.stderr and 'running' not in r.stdout and not (tmp_path / 'r5').exists(), r.stderr
    os.mkfifo(tmp_path / 'fifo.wav')
    for special in (tmp_path / 'fifo.wav', '/dev/zero'):
        try: load_audio(special); raise AssertionError('accepted')
        except AudioError as e: assert 'not a regular file' in str(e), e


def test_escape_codes_and_predict_interrupt(monkeypatch):
    "Terminal escape codes never reach the error line; Ctrl-C in `predict` promises no resume (nothing resumes)."
    import contextlib, io
    from fastcore.script import Param
    import distilled_vit.cli as C
    from distilled_vit.core import ConfigError
    def fake(exc):
        def cmd(audio: Param("audio file", str)): raise exc
        cmd.__doc__ = 'a stand-in'; return cmd
    for exc, rc_want, err_want in ((ConfigError('\x1b[31mred\x1b[0m text'), 2, 'error: red text\n'), (KeyboardInterrupt(), 130, 'interrupted\n')):
        f = fake(exc); monkeypatch.setitem(C.COMMANDS, 'predict', f); monkeypatch.setattr(C, 'predict_cmd', f)
        err = io.StringIO()
        with contextlib.redirect_stderr(err): rc = C.main(['predict', 'a.wav'])
        assert rc == rc_want and err.getvalue() == err_want, (rc, err.getvalue())


def test_teacher_weights_of_our_own_run_and_of_another_shape(tmp_path):
    "A run's own teacher/model.safetensors is a valid starting point; a checkpoint of another size lists the mis-shaped tensors."
    import torch
    from safetensors.torch import save_file
    from distilled_vit.core import get_config
    from distilled_vit.teacher import create_teacher, load_timm_checkpoint
    from distilled_vit.train import CheckpointError
    cfg = get_config('smoke')
    sd = {k: v.clone() for k, v in create_teacher(cfg).state_dict().items()}
    save_file(sd | {'frontend.mean': torch.zeros(cfg.n_mels), 'frontend.std': torch.ones(cfg.n_mels)}, str(tmp_path / 'own.safetensors'))
    m = create_teacher(cfg); notes = load_timm_checkpoint(m, tmp_path / 'own.safetensors')
    assert 'extra' in notes and all(torch.equal(m.state_dict()[k], sd[k]) for k in sd)
    other = create_teacher(get_config('smoke', teacher_dim=24, teacher_heads=3)).state_dict()
    save_file({k: v.contiguous() for k, v in other.items()}, str(tmp_path / 'other.safetensors'))
    try: load_timm_checkpoint(create_teacher(cfg), tmp_path / 'other.safetensors'); raise AssertionError('accepted')
    except CheckpointError as e: assert "have another shape than the model's" in str(e) and 'vs' in str(e), e


def test_constant_labels_split_sizes_and_trailing_spaces(tmp_path):
    "Identical labels: 'no variance'; a name ending in a space is found; the data stage says its split and warns when it is coarse."
    import pandas as pd
    from conftest import cli_here, write_tone
    from distilled_vit.data import read_manifest, ManifestError
    for i in range(12): write_tone(tmp_path / f'c{i}.wav', seconds=2.0, freq=200 + 30 * i)
    pd.DataFrame(dict(path=[f'c{i}.wav' for i in range(12)], valence=0.3, arousal=-0.2)).to_csv(tmp_path / 'same.csv', index=False)
    try: read_manifest(tmp_path / 'same.csv'); raise AssertionError('accepted')
    except ManifestError as e: assert 'labels have no variance' in str(e), e
    write_tone(tmp_path / 'space .wav', seconds=2.0)
    (tmp_path / 'sp.csv').write_text('path,valence,arousal\n"space .wav",0.1,0.2\nc0.wav,-0.5,0.4\n')
    df, _ = read_manifest(tmp_path / 'sp.csv')
    assert df.path.iloc[0].endswith('space .wav')
    rows = [dict(path=f'c{i}.wav', valence=-0.9 + 0.15 * i, arousal=0.8 - 0.13 * i, group=f'g{i % 3}') for i in range(12)]
    pd.DataFrame(rows).to_csv(tmp_path / 'three.csv', index=False)
    r = cli_here('prepare-data', '--preset', 'smoke', '--data', str(tmp_path / 'three.csv'), '--out', str(tmp_path / 'r'))
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'data: 12 clips in 3 groups, split 4 / 4 / 4 (train / val / test)' in r.stdout, r.stdout
    assert 'warning: only 4 of 12 clips are for training' in r.stderr


def test_duplicate_audio_under_another_name_shares_a_split(tmp_path):
    "The same audio under two names is one group: it cannot be trained on and tested on (the audit's inflated metrics)."
    import shutil, pandas as pd
    from distilled_vit.core import get_config
    from distilled_vit.data import load_dataset
    for i in range(12): write_tone(tmp_path / f'c{i}.wav', seconds=2.0, freq=200 + 30 * i)
    for i in range(6): shutil.copy(tmp_path / f'c{i}.wav', tmp_path / f'copy{i}.wav')
    names = [f'c{i}.wav' for i in range(12)] + [f'copy{i}.wav' for i in range(6)]
    pd.DataFrame(dict(path=names, valence=np.linspace(-0.9, 0.9, 18), arousal=np.linspace(0.8, -0.8, 18))).to_csv(tmp_path / 'm.csv', index=False)
    d = load_dataset(get_config('smoke', data=str(tmp_path / 'm.csv'), val_frac=0.3, test_frac=0.3), progress=False, use_cache=False)
    split = dict(zip([Path(p).name for p in d.clips.path], d.clips.split))
    assert all(split[f'c{i}.wav'] == split[f'copy{i}.wav'] for i in range(6)), split
    assert len(set(split.values())) == 3



def test_a_test_split_without_label_variance_reports_ccc_as_undefined(tmp_path):
    "One test song: its labels do not vary, so the report's CCC is null (never 0.000 or 1.000) and the run still ends."
    import json, pandas as pd
    from conftest import cli_here
    rows = []
    for i in range(14):
        write_tone(tmp_path / f'c{i}.wav', seconds=2.0, freq=180 + 40 * i)
        rows.append(dict(path=f'c{i}.wav', valence=-0.8 + 0.12 * i, arousal=0.7 - 0.1 * i, group=f'g{i}'))
    pd.DataFrame(rows).to_csv(tmp_path / 'm.csv', index=False)
    r = cli_here('evaluate', '--preset', 'smoke', '--data', str(tmp_path / 'm.csv'), '--out', str(tmp_path / 'r'),
                 '--set', 'val_frac=0.07', 'test_frac=0.07', 'kd_corpus=0')
    assert r.returncode == 0, r.stderr[-2000:]
    ev = json.loads((tmp_path / 'r' / 'evaluate' / 'evaluation.json').read_text())
    assert ev['test']['clips'] == 1
    for m in ('teacher', 'student', 'student_nokd', 'baseline'):
        assert ev[m]['ccc_valence'] is None and ev[m]['ccc_arousal'] is None and ev[m]['ccc_mean'] is None, m
    assert 'CCC V – A –' in r.stdout and 'CCC is undefined on valence, arousal' in ev['verdict']['text']
    assert json.loads((tmp_path / 'r' / 'data' / 'summary.json').read_text()).get('ridge_ccc') is None   # not computed on one clip


def test_a_run_ends_saying_what_it_read_and_skipped(tmp_path):
    "Issue 35: the count of clips read and skipped, and why, is the run's last line; a skipped file is never silent."
    from conftest import cli_here
    rows = ['path,valence,arousal']
    for i in range(10): write_tone(tmp_path / f'ok{i}.wav', seconds=1.5, freq=300 + 50 * i); rows.append(f'ok{i}.wav,{i / 10},{-i / 10}')
    (tmp_path / 'bad.wav').write_bytes(b''); rows.append('bad.wav,0.1,0.2')
    (tmp_path / 'm.csv').write_text('\n'.join(rows) + '\n')
    args = ('prepare-data', '--preset', 'smoke', '--data', str(tmp_path / 'm.csv'))
    r = cli_here(*args, '--out', str(tmp_path / 'run1'), '--skip_bad')
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == f"read: 10 clips, 1 skipped (--skip_bad): {tmp_path / 'bad.wav'}: file is empty (0 bytes)"
    # the same data without --skip_bad: the feature cache holds the entry made with it, which must not skip silently
    r = cli_here(*args, '--out', str(tmp_path / 'run2'))
    last = r.stderr.strip().splitlines()[-1]
    assert r.returncode == 2 and last.startswith('error: ') and 'bad.wav: file is empty' in last and '--skip_bad' in last, r.stderr
    assert not (tmp_path / 'run2' / 'data' / 'done.json').exists()


def test_an_unusable_feature_cache_is_one_warning_and_the_run_goes_on(tmp_path, monkeypatch):
    "Issue 35: DISTILLED_VIT_CACHE naming a file used to fail the run after the features were made ('File exists', a .tmp)."
    from conftest import cli_here
    (tmp_path / 'cache-file').write_text('not a folder')
    monkeypatch.setenv('DISTILLED_VIT_CACHE', str(tmp_path / 'cache-file'))
    r = cli_here('prepare-data', '--preset', 'smoke', '--set', 'n_clips=8', '--out', str(tmp_path / 'run'))
    assert r.returncode == 0, r.stderr[-2000:]
    warn = [l for l in r.stderr.splitlines() if 'warning:' in l]
    assert len(warn) == 1 and f"feature cache folder {tmp_path / 'cache-file'} cannot be used" in warn[0], warn
    assert (tmp_path / 'cache-file').read_text() == 'not a folder' and (tmp_path / 'run' / 'data' / 'done.json').is_file()
    # set but empty: the default folder under HOME, never the working directory
    monkeypatch.setenv('DISTILLED_VIT_CACHE', ''); monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    (tmp_path / 'cwd').mkdir(); monkeypatch.chdir(tmp_path / 'cwd')
    r = cli_here('prepare-data', '--preset', 'smoke', '--set', 'n_clips=8', '--out', str(tmp_path / 'run2'))
    assert r.returncode == 0, r.stderr[-2000:]
    assert list((tmp_path / 'cwd').iterdir()) == [] and list((tmp_path / 'home' / '.cache' / 'distilled_vit').glob('features-*.npz'))
