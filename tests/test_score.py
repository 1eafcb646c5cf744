"""`distilled-vit score` in fresh processes: exit statuses, what goes to stdout and stderr, the JSON, and neither torch
nor librosa imported. The model is `score.toy_bundle`'s, whose predictions are known, so every number below is
counted by hand (nbs/09b_score.ipynb explains the counts and tests the function itself)."""
import json, os, subprocess, sys
import pytest
from conftest import cli, ROOT
from distilled_vit.scoring import toy_bundle, toy_clip

LABELS = [(.5, .5), (.5, -.5), (-.5, .5), (-.5, -.5), (.5, .5), (-.5, -.5), (.5, -.5), (-.5, .5)]   # quadrants, as 4Q
PREDICTED = [(0.625, 0.25), (0.25, -0.625), (-0.375, 0.625), (0.125, -0.25), (-0.25, 0.375), (-0.625, 0.25),
             (0.375, -0.375), (-0.25, -0.25)]
SYNTHETIC = dict(kind='embedded', synthetic=True, source='the embedded procedural music (synthesiser version 2)')


@pytest.fixture
def quadrants(tmp_path):
    "A toy bundle 'trained on' the embedded data and a manifest of 8 quadrant clips in 4 songs plus a file that is not audio."
    b = toy_bundle(tmp_path / 'bundle', training_data=SYNTHETIC)
    (tmp_path / 'set' / 'audio').mkdir(parents=True)
    for i, p in enumerate(PREDICTED): toy_clip(tmp_path / 'set' / 'audio' / f'c{i}.wav', *p)
    (tmp_path / 'set' / 'audio' / 'bad.wav').write_text('not audio')
    rows = [f'audio/c{i}.wav,{v},{a},song{i % 4}' for i, (v, a) in enumerate(LABELS)] + ['audio/bad.wav,0.5,0.5,song9']
    m = tmp_path / 'set' / 'manifest.csv'
    m.write_text('path,valence,arousal,group\n' + '\n'.join(rows) + '\n')
    return b, m


def test_score_two_valued_labels(tmp_path, quadrants):
    "Quadrant labels are detected; AUC, sign and quadrant accuracy are the hand counts; the bad file is skipped and counted."
    b, m = quadrants
    r = cli('score', '--model', str(b), '--data', str(m), '--skip_bad', '--json_out', str(tmp_path / 's.json'))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert 'labels: two-valued: valence takes only -0.5 and 0.5; arousal takes only -0.5 and 0.5' in out, out
    assert 'clips: 8 scored in 4 group(s), 1 skipped' in out and 'out of its domain' in out and '`distilled-vit score' in out
    lines = {l[:19].strip(): l[19:] for l in out.splitlines()}
    assert lines['AUC'].split()[0] == '0.906' and lines['AUC'].split()[3] == '0.875'        # 14.5/16 and 14/16
    assert lines['sign accuracy'].split()[0] == '0.750' and lines['quadrant accuracy'].split()[0] == '0.500'
    assert 'manifest.csv:10: ' in r.stderr and 'bad.wav: cannot decode audio' in r.stderr   # named as it is skipped
    j = json.loads((tmp_path / 's.json').read_text())
    assert j['format'] == 'distilled_vit-score' and j['mode'] == 'two-valued' and j['skipped'] == 1
    assert j['metrics']['auc_valence'] == 14.5 / 16 and j['metrics']['auc_arousal'] == 14 / 16
    assert j['metrics']['quadrant_accuracy'] == 0.5 and j['trained_on'] == SYNTHETIC


def test_score_first_bad_file_is_one_line(tmp_path, quadrants):
    "Without --skip_bad the first bad file stops the run: one `error:` line naming the manifest row and the file, exit 2, no JSON."
    b, m = quadrants
    r = cli('score', '--model', str(b), '--data', str(m), '--json_out', str(tmp_path / 's.json'))
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith('error: ') and f"{m}:10: {m.parent / 'audio' / 'bad.wav'}: cannot decode audio" in last, last
    assert not (tmp_path / 's.json').exists() and r.stdout == ''


def test_score_json_never_replaces_a_users_file(tmp_path, quadrants):
    b, m = quadrants
    mine = tmp_path / 'mine.json'; mine.write_text('{"my": "notes"}')
    r = cli('score', '--model', str(b), '--data', str(m), '--skip_bad', '--json_out', str(mine))
    assert r.returncode == 2 and 'was not written by distilled-vit' in r.stderr and mine.read_text() == '{"my": "notes"}'
    r = cli('score', '--model', str(b), '--data', str(m), '--skip_bad', '--json_out', str(m))
    assert r.returncode == 2 and 'is the input file' in r.stderr


def test_score_needs_neither_torch_nor_librosa(tmp_path, quadrants):
    b, m = quadrants
    code = ("import sys\nsys.modules['torch'] = None; sys.modules['librosa'] = None   # any import of them now fails\n"
            "from distilled_vit.cli import main\n"
            f"rc = main(['score', '--model', {str(b)!r}, '--data', {str(m)!r}, '--skip_bad'])\nprint('RC', rc)")
    p = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                       env=dict(os.environ))
    assert p.returncode == 0 and 'RC 0' in p.stdout and 'quadrant accuracy' in p.stdout, p.stderr[-2000:]
