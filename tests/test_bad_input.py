"""Bad audio, one test per kind: through the public API (one clear AudioError naming the file) and through the CLI
(one `error:` line, exit 2; or skipped and counted with --skip-bad). Silent and short clips are not errors."""
import json
import numpy as np
import pytest
import soundfile as sf
from conftest import write_tone, cli_here
from distilled_vit.audio import load_audio, AudioError, audio_windows, SILENCE_DB
from distilled_vit.core import get_config

def _corrupt(p):   p.write_bytes(b'RIFF\x00\x00\x00\x00WAVEfmt ' + bytes(range(256)) * 4)
def _empty(p):     p.write_bytes(b'')
def _truncated(p): raw = write_tone(p, seconds=1.0).read_bytes(); p.write_bytes(raw[:len(raw) // 4])
def _not_audio(p): p.write_text('<html>this is a web page saved as .wav</html>\n' * 20)

BAD = {'corrupt bytes': (_corrupt, 'cannot decode audio'), 'empty file': (_empty, 'file is empty'),
       'truncated file': (_truncated, 'truncated file'), 'non-audio file': (_not_audio, 'cannot decode audio')}

@pytest.mark.parametrize('kind', BAD)
def test_bad_audio_api(tmp_path, kind):
    make, msg = BAD[kind]; p = tmp_path / 'clip.wav'; make(p)
    with pytest.raises(AudioError) as e: load_audio(p)
    assert str(e.value).startswith(str(p)) and msg in str(e.value)

def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match='nope.flac: file does not exist'): load_audio(tmp_path / 'nope.flac')

def test_silent_audio_gives_finite_features(tmp_path):
    p = tmp_path / 'silence.flac'; sf.write(p, np.zeros(16000 * 3, np.float32), 16000)
    w, padded = audio_windows(p, get_config('smoke'))
    assert np.isfinite(w).all() and w.max() == pytest.approx(SILENCE_DB) and not padded

def test_clip_shorter_than_a_window_is_padded(tmp_path):
    cfg = get_config('smoke')
    w, padded = audio_windows(write_tone(tmp_path / 'short.ogg', seconds=0.3), cfg)
    assert padded and w.shape == (1, cfg.n_mels, cfg.win_frames)

def test_bad_audio_cli_error_and_skip(tmp_path):
    rows = ['path,valence,arousal']
    for i in range(10): write_tone(tmp_path / f'ok{i}.wav', seconds=1.5, freq=300 + 50 * i); rows.append(f'ok{i}.wav,{i / 10},{-i / 10}')
    for j, kind in enumerate(BAD): BAD[kind][0](tmp_path / f'bad{j}.wav'); rows.append(f'bad{j}.wav,0.1,0.2')
    (tmp_path / 'm.csv').write_text('\n'.join(rows) + '\n')
    args = ('prepare-data', '--preset', 'smoke', '--data', str(tmp_path / 'm.csv'))
    r = cli_here(*args, '--out', str(tmp_path / 'run1'))       # in process: the CLI's own error handling, no start-up
    last = r.stderr.strip().splitlines()[-1]                # progress bars also go to stderr; the error is one line
    assert r.returncode == 2 and last.startswith('error: ') and 'bad0.wav' in last and 'Traceback' not in r.stderr
    assert not (tmp_path / 'run1' / 'data' / 'done.json').exists()
    r = cli_here(*args, '--out', str(tmp_path / 'run2'), '--skip-bad')
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / 'run2' / 'data' / 'summary.json').read_text())
    assert s['skipped'] == len(BAD) and s['clips'] == 10
    assert f"{len(BAD)} skipped (--skip_bad)" in r.stdout                  # said on the console, not only in summary.json
    # mostly bad: --skip_bad does not train on the few that are left
    (tmp_path / 'few.csv').write_text('\n'.join(rows[:3] + rows[11:]) + '\n')
    r = cli_here('prepare-data', '--preset', 'smoke', '--data', str(tmp_path / 'few.csv'), '--out', str(tmp_path / 'run3'), '--skip-bad')
    last = r.stderr.strip().splitlines()[-1]
    assert r.returncode == 2 and f"{len(BAD)} of {len(BAD) + 2} clips were skipped as bad (more than half)" in last, r.stderr[-800:]


def test_extreme_but_finite_samples_are_refused(tmp_path):
    "A float file with finite but absurd sample values would overflow the power spectrum to inf: one clear error."
    p = tmp_path / 'loud.wav'; sf.write(p, np.full(16000, 3e30, np.float32), 16000, subtype='FLOAT')
    with pytest.raises(AudioError, match='sample values reach 3e\\+30'): load_audio(p)
    q = tmp_path / 'hot.wav'; sf.write(q, np.full(16000, 1.5, np.float32), 16000, subtype='FLOAT')   # a little over ±1 is fine
    assert np.isfinite(audio_windows(q, get_config('smoke'))[0]).all()


def test_damaged_headers_and_cut_ogg_are_one_line(tmp_path, monkeypatch):
    "A WAV header claiming 1 Hz (55 hours) is refused before decoding; a cut Ogg is 'truncated'; the length cap can be raised."
    import struct
    sf.write(tmp_path / 'ok.wav', np.zeros(200_000, np.float32), 16000, subtype='PCM_16')
    b = bytearray((tmp_path / 'ok.wav').read_bytes()); b[24:28] = struct.pack('<I', 1); b[28:32] = struct.pack('<I', 2)
    (tmp_path / 'one_hz.wav').write_bytes(bytes(b))
    with pytest.raises(AudioError, match='sample rate 1 Hz in its header is below 4000 Hz'): load_audio(tmp_path / 'one_hz.wav')
    t = np.arange(16000 * 5) / 16000
    sf.write(tmp_path / 'ok.ogg', (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000, format='OGG', subtype='VORBIS')
    d = (tmp_path / 'ok.ogg').read_bytes(); (tmp_path / 'cut.ogg').write_bytes(d[:int(len(d) * 0.9)])
    with pytest.raises(AudioError, match=r'cut.ogg: truncated file \(the last Ogg page lacks its end-of-stream mark\)'):
        load_audio(tmp_path / 'cut.ogg')
    assert len(load_audio(tmp_path / 'ok.ogg')) == 80_000
    monkeypatch.setenv('DISTILLED_VIT_MAX_AUDIO_MINUTES', '0.05')                   # 3 s
    with pytest.raises(AudioError, match=r'ok.ogg: 0.0833 min of audio by its header, over the 0.05 min limit \(DISTILLED_VIT_MAX_AUDIO_MINUTES'):
        load_audio(tmp_path / 'ok.ogg')


def test_long_files_are_decoded_in_blocks_with_the_same_result(tmp_path, monkeypatch):
    "Above BLOCK_DECODE_SAMPLES a file is decoded block by block (bounded memory) and gives the one-shot result exactly."
    import tracemalloc
    import distilled_vit.audio as A
    t = np.arange(44100 * 20) / 44100
    y2 = np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 660 * t + 0.3)], 1).astype(np.float32)
    sf.write(tmp_path / 'long.flac', y2, 44100)
    ref = A.load_audio(tmp_path / 'long.flac', 16000)
    tracemalloc.start(); A.load_audio(tmp_path / 'long.flac', 16000); whole = tracemalloc.get_traced_memory()[1]; tracemalloc.stop()
    monkeypatch.setattr(A, 'BLOCK_DECODE_SAMPLES', 1000); monkeypatch.setattr(A, 'BLOCK_FRAMES', 2 ** 15)
    tracemalloc.start(); got = A.load_audio(tmp_path / 'long.flac', 16000); blocks = tracemalloc.get_traced_memory()[1]; tracemalloc.stop()
    assert len(got) == len(ref) and np.abs(got - ref).max() == 0
    assert blocks < 0.6 * whole, (blocks, whole)                      # no whole-file float32 copy
    assert len(A._load_long(tmp_path / 'long.flac', sf.info(str(tmp_path / 'long.flac')), 16000, block=12345)) == len(ref)
