"""User errors from the command line: one `error:` line, exit status 2, no traceback."""
from conftest import cli

def test_mismatched_run_directory_is_refused(tmp_path):
    assert cli('prepare-data', '--preset', 'smoke', '--out', str(tmp_path / 'r'), '--set', 'n_clips=20').returncode == 0
    r = cli('prepare-data', '--preset', 'smoke', '--out', str(tmp_path / 'r'), '--set', 'n_clips=30')
    assert r.returncode == 2 and 'n_clips: 20 -> 30' in r.stderr and 'Traceback' not in r.stderr

def test_unknown_preset_and_bad_override(tmp_path):
    r = cli('run', '--preset', 'giant', '--out', str(tmp_path / 'r'))
    assert r.returncode == 2 and r.stderr.strip() == "error: unknown preset 'giant'; choose one of smoke, cpu, paper"
    r = cli('run', '--preset', 'smoke', '--out', str(tmp_path / 'r'), '--set', 'kd_epochs=many')
    assert r.returncode == 2 and "config field 'kd_epochs' expects int, got 'many'" in r.stderr
