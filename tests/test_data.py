"""Loaders on fixture folders made by the tests (never downloaded data): manifests, DEAM, PMEmo, bad rows."""
import numpy as np
import pandas as pd
import pytest
from conftest import write_tone, cli, cli_here
from distilled_vit.core import get_config
from distilled_vit.data import (load_dataset, read_manifest, deam_manifest, pmemo_manifest, ManifestError,
                                group_split)

def _manifest_dir(tmp_path, n=12):
    rows = []
    for i in range(n):
        write_tone(tmp_path / 'audio' / f'song{i // 2}_{i}.wav', seconds=2.5 if i % 3 else 0.5, freq=200 + 40 * i)
        rows.append(dict(path=f'audio/song{i // 2}_{i}.wav', valence=1 + 8 * i / (n - 1), arousal=9 - 8 * i / (n - 1),
                         group=f'song{i // 2}'))
    pd.DataFrame(rows).to_csv(tmp_path / 'manifest.csv', index=False)
    return tmp_path / 'manifest.csv'

def test_manifest_dataset_groups_and_labels(tmp_path):
    m = _manifest_dir(tmp_path)
    cfg = get_config('smoke', data=str(m), label_min=1, label_max=9, val_frac=0.2, test_frac=0.2)
    d = load_dataset(cfg, progress=False)
    assert d.info['clips'] == 12 and d.info['padded'] == 4          # the 0.5 s clips are shorter than one window
    assert d.y.min() >= -1 and d.y.max() <= 1
    for g, s in d.clips.groupby('group').split.nunique().items(): assert s == 1, g   # a song never spans two splits
    assert np.isfinite(d.X.astype(np.float32)).all()

def test_deam_layout(tmp_path):
    root = tmp_path / 'DEAM'
    for sid in (2, 3, 4, 5):
        mp3 = root / 'MEMD_audio' / f'{sid}.mp3'; write_tone(mp3.with_suffix('.wav'), freq=200 + 40 * sid)  # distinct audio (copies share a group)
        mp3.with_suffix('.wav').rename(mp3)                          # libsndfile reads by content, not suffix
    ann = root / 'annotations' / 'annotations averaged per song' / 'song_level'; ann.mkdir(parents=True)
    (ann / 'static_annotations_averaged_songs_1_2000.csv').write_text(
        'song_id, valence_mean, valence_std, arousal_mean, arousal_std\n2, 3.1, 0.9, 3, 0.9\n3, 7.5, 1, 6.2, 1\n'
        '4, 5, 1, 5, 1\n5, 1, 1, 9, 1\n')
    m, skipped = deam_manifest(root)
    assert len(m) == 4 and skipped == []
    assert m.valence.tolist() == pytest.approx([2 * (3.1 - 1) / 8 - 1, 2 * (7.5 - 1) / 8 - 1, 0.0, -1.0])
    d = load_dataset(get_config('smoke', data=f'deam:{root}', val_frac=0.25, test_frac=0.25), progress=False)
    assert d.info['clips'] == 4

def test_pmemo_layout_and_missing_audio(tmp_path):
    root = tmp_path / 'PMEmo'
    for mid in (1, 4): write_tone(root / 'chorus' / f'{mid}.wav').rename(root / 'chorus' / f'{mid}.mp3')
    (root / 'static_annotations.csv').write_text('musicId,Arousal(mean),Valence(mean)\n1,0.4,0.6\n4,0.9,0.1\n7,0.5,0.5\n')
    with pytest.raises(ManifestError, match=r"static_annotations.csv:4: audio file 'chorus/7.mp3' does not exist"):
        pmemo_manifest(root)
    m, skipped = pmemo_manifest(root, skip_bad=True)
    assert len(m) == 2 and len(skipped) == 1
    assert m.arousal.tolist() == pytest.approx([-0.2, 0.8])

@pytest.mark.parametrize('body,msg', [
    ('path,valence\na.wav,1\n', 'missing column(s) arousal'),
    ('path,valence,arousal\na.wav,,0.5\n', ':2: valence is empty or NaN'),
    ('path,valence,arousal\na.wav,high,0.5\n', ":2: valence 'high' is not a number"),
    ('path,valence,arousal\na.wav,0.5,1.5\n', ':2: arousal 1.5 is outside the declared label range [-1, 1]'),
    ('path,valence,arousal\na.wav,0.5,0.5\na.wav,0.1,0.1\n', ":3: duplicate path 'a.wav' (first on line 2)"),
    ('path,valence,arousal\nnope.wav,0.5,0.5\n', ":2: audio file 'nope.wav' does not exist"),
    ('path,valence,arousal\n../../etc/passwd,0.5,0.5\n', 'points outside the dataset folder'),
    ('path,valence,arousal\n/etc/passwd,0.5,0.5\n', "absolute path '/etc/passwd' not allowed"),
])
def test_bad_manifest_rows_name_the_row(tmp_path, body, msg):
    write_tone(tmp_path / 'a.wav')
    (tmp_path / 'm.csv').write_text(body)
    with pytest.raises(ManifestError) as e: read_manifest(tmp_path / 'm.csv')
    assert msg in str(e.value) and 'm.csv' in str(e.value)

def test_label_range_that_contradicts_the_data(tmp_path):
    rows = ['path,valence,arousal']
    for i in range(12):
        write_tone(tmp_path / f'{i}.wav', seconds=0.2); rows.append(f'{i}.wav,{1 + i / 2},{2 + i / 3}')  # 1..6.5 (DEAM-like)
    (tmp_path / 'm.csv').write_text('\n'.join(rows) + '\n')
    with pytest.raises(ManifestError, match='declared label range probably does not match'):
        read_manifest(tmp_path / 'm.csv', 0, 100)
    assert len(read_manifest(tmp_path / 'm.csv', 1, 9)[0]) == 12

def test_skip_bad_counts_unreadable_audio(tmp_path):
    m = _manifest_dir(tmp_path)
    (tmp_path / 'audio' / 'song0_0.wav').write_bytes(b'not audio at all')
    cfg = get_config('smoke', data=str(m), label_min=1, label_max=9, val_frac=0.2, test_frac=0.2)
    with pytest.raises(Exception, match='song0_0.wav: cannot decode audio'): load_dataset(cfg, progress=False)
    d = load_dataset(get_config('smoke', data=str(m), label_min=1, label_max=9, skip_bad=True, val_frac=0.2,
                                test_frac=0.2), progress=False)
    assert d.info['skipped'] == 1 and d.info['clips'] == 11

def test_cli_bad_manifest_is_one_line(tmp_path):
    (tmp_path / 'm.csv').write_text('path,valence\nx.wav,1\n')
    r = cli('prepare-data', '--preset', 'smoke', '--data', str(tmp_path / 'm.csv'), '--out', str(tmp_path / 'run'))
    assert r.returncode == 2
    assert r.stderr.strip().count('\n') == 0 and r.stderr.startswith('error: ') and 'missing column(s) arousal' in r.stderr
    assert 'Traceback' not in r.stderr

def test_cli_skip_bad_reports_count(tmp_path):
    m = _manifest_dir(tmp_path)
    with open(m, 'a') as f: f.write('audio/missing.wav,5,5,songX\n')
    r = cli_here('prepare-data', '--preset', 'smoke', '--data', str(m), '--out', str(tmp_path / 'run'), '--skip-bad',
            '--set', 'label_min=1', 'label_max=9', 'val_frac=0.2', 'test_frac=0.2')
    assert r.returncode == 0, r.stderr
    import json
    s = json.loads((tmp_path / 'run' / 'data' / 'summary.json').read_text())
    assert s['skipped'] == 1 and "missing.wav' does not exist" in s['skipped_reasons'][0]

def test_real_audio_dev_set_if_present():
    "The EMOPIA dev set in ../shared (real piano audio) loads through the manifest path; skipped when absent."
    from pathlib import Path
    m = Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'emopia_dev' / 'manifest.csv'
    if not m.exists(): pytest.skip('shared EMOPIA dev set not available')
    df, skipped = read_manifest(m, -1, 1)
    assert len(df) == 240 and skipped == []


def test_real_dataset_csv_with_malformed_ids_or_binary_content(tmp_path):
    "Published layouts with a hand-damaged annotations CSV: one ManifestError naming the file (and row), no traceback."
    root = tmp_path / 'DEAM'; write_tone(root / 'MEMD_audio' / '2.wav')
    ann = root / 'annotations'; ann.mkdir(parents=True)
    csv = ann / 'static_annotations_averaged_songs_1_2000.csv'
    csv.write_text('song_id, valence_mean, arousal_mean\n2, 3.1, 3\nabc, 7.5, 6.2\n')
    with pytest.raises(ManifestError, match=r"static_annotations_averaged_songs_1_2000.csv:3: song_id 'abc' is not a whole-number song id"):
        deam_manifest(root)
    csv.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(ManifestError, match='cannot read CSV|missing column'): deam_manifest(root)


def test_manifest_group_column_is_used(tmp_path):
    "A manifest's `group` column decides the split unit (the audit's mutant ignored it: every clip its own group)."
    import pandas as pd
    for i in range(12): write_tone(tmp_path / f'c{i}.wav', seconds=1.0, freq=200 + 35 * i)
    pd.DataFrame(dict(path=[f'c{i}.wav' for i in range(12)], valence=np.linspace(-0.8, 0.8, 12), arousal=np.linspace(0.7, -0.7, 12),
                      group=[f'song{i // 3}' for i in range(12)])).to_csv(tmp_path / 'm.csv', index=False)
    df, _ = read_manifest(tmp_path / 'm.csv')
    assert df.group.tolist() == [f'song{i // 3}' for i in range(12)]
    d = load_dataset(get_config('smoke', data=str(tmp_path / 'm.csv'), val_frac=0.25, test_frac=0.25), progress=False, use_cache=False)
    assert d.clips.group.nunique() == 4 and all(d.clips[d.clips.group == g].split.nunique() == 1 for g in d.clips.group.unique())
