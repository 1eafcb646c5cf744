"Every sub-command's `--help` explains every option (the CLI's documentation is its --help)."
import subprocess, sys
import pytest
from fastcore.script import anno_parser
from distilled_vit.cli import COMMANDS, main, pipeline, stage_commands
from conftest import cli

ALL = stage_commands(pipeline()) | COMMANDS                 # the stage commands come from the stage records

@pytest.mark.parametrize('cmd', list(ALL))
def test_every_option_has_help(cmd):
    p = anno_parser(ALL[cmd], prog=f'distilled-vit {cmd}')
    assert p.description and p.description.strip(), f'{cmd}: no description'
    opts = [a for a in p._actions if a.dest not in ('help', 'pdb', 'xtra')]
    assert opts, cmd
    for a in opts: assert a.help and len(a.help.strip()) > 10, f'{cmd} {a.option_strings or a.dest}: no help text'

def test_help_exits_zero_and_lists_commands(capsys):
    assert main(['--help']) == 0
    out = capsys.readouterr().out
    assert len(ALL) == 9 and all(c in out for c in ALL)
    assert main(['run', '--help']) == 0 and '--preset' in capsys.readouterr().out
    assert main(['export', '--help']) == 0 and 'usage: distilled-vit run' in capsys.readouterr().out   # run's other name
    assert main(['frobnicate']) == 2 and "invalid choice: 'frobnicate'" in capsys.readouterr().err

def test_console_script_help_in_a_fresh_process():
    r = cli('distill', '--help')
    assert r.returncode == 0 and '--set' in r.stdout and 'usage: distilled-vit distill' in r.stdout, r.stderr


def test_make_run_installs_what_its_artefacts_need():
    "Issue 26: `make run` wrote no phone program (the .pte needs the [mobile] extra, which only `make test` installed)."
    import re
    from conftest import ROOT
    mk = (ROOT / 'Makefile').read_text()
    recipe = re.search(r'^\$\(VENV\)/\.installed:.*?\n((?:\t.*\n)+)', mk, re.M).group(1)
    assert '-e ".[mobile]"' in recipe and 'basic-pitch==0.4.0' in recipe, recipe
    assert '--no-deps musicnn==0.1.0' in recipe, recipe          # MusiCNN's checkpoint (01c_musicnn)
    assert re.search(r'^run: install\b', mk, re.M)


def test_a_config_error_is_answered_before_torch_is_imported():
    "A bad `--set`/`--preset` of a stage command is its one error line, found before the stage modules (torch, timm) load."
    code = ("import sys; from distilled_vit.cli import main; rc = main(['run', '--preset', 'smoke', '--set', 'batch_size=0']); "
            "print(rc, sorted(m for m in ('torch', 'timm') if m in sys.modules))")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.stdout.strip() == "2 []", (r.stdout, r.stderr[-2000:])
    assert r.stderr == "error: config field 'batch_size' must be ≥ 1, got 0\n", r.stderr
    from distilled_vit.cli import _early_config_error
    assert _early_config_error(['run', '--preset', 'nope']) == "unknown preset 'nope'; choose one of smoke, cpu, paper"
    for ok in (['run', '--preset', 'smoke'], ['run', '--help'], ['predict', 'x.wav'], ['--help'], [], ['run', '--bogus']):
        assert _early_config_error(ok) is None, ok
