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
