"""User errors from the command line: one `error:` line, exit status 2, no traceback."""
from conftest import cli

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
