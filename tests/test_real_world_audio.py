"""Real-world audio is input, not an error: files as encoders and tools write them (Debian's
lame, flac, sox, opusenc), generated here from one synthetic signal, each read by `load_audio` to
the samples an independent reference decoder (mpg123, flac, sox, opusdec) gives, and never refused
as truncated; files that really are cut still are.

Needs Debian's lame, mpg123, flac, sox and opus-tools (`make test` installs them:
tools/debian_deps.sh); without them the tests fail saying so, they do not skip. Ogg Opus is in the
corpus only where the installed libsndfile reads it (decided at import: `OPUS`)."""
import re, shutil, struct, subprocess
import numpy as np
import pytest
import soundfile as sf
import soxr
import distilled_vit.audio as A
from distilled_vit.audio import load_audio, AudioError

TOOLS = ['lame', 'mpg123', 'flac', 'metaflac', 'sox', 'opusenc', 'opusdec']
PACKAGES = 'lame mpg123 flac sox opus-tools'
OPUS = 'OPUS' in sf.available_subtypes('OGG')          # libsndfile >= 1.0.29 reads Ogg Opus
SECONDS = 1.3


def _signal(sr: int, channels: int, seconds: float = SECONDS) -> np.ndarray:
    """Music-like test audio [T, C] within ±0.6: per channel a chord with vibrato and a decaying
    note, slowly swelling, plus a little noise."""
    t = np.arange(int(sr * seconds)) / sr
    rng = np.random.default_rng(channels * 100_000 + sr)
    vib = 0.4 * np.sin(2 * np.pi * 5 * t)
    cols = []
    for c in range(channels):
        f0 = 220 * 2 ** (c / 12)
        y = sum(0.12 / k * np.sin(2 * np.pi * f0 * k * t + vib) for k in (1, 2, 3, 5))
        y = y + 0.15 * np.exp(-3 * t) * np.sin(2 * np.pi * 660 * t)
        y = y + 0.01 * rng.standard_normal(len(t))
        cols.append(y * (0.6 + 0.4 * np.sin(2 * np.pi * 0.7 * t + c)))
    return np.stack(cols, 1).astype(np.float32)


def _run(*cmd):
    subprocess.run([str(c) for c in cmd], check=True, stderr=subprocess.PIPE)


def _source(d, sr, channels):
    "A 16-bit WAV of `_signal`, the input every encoder is given."
    p = d / f'src_{sr}_{channels}.wav'
    if not p.exists(): sf.write(str(p), _signal(sr, channels), sr, subtype='PCM_16')
    return p


def _ape_tag(items: dict) -> bytes:
    "An APEv2 tag (header, items, footer) as taggers append to MP3s."
    body = b''.join(struct.pack('<II', len(v), 0) + k.encode() + b'\0' + v
                    for k, v in items.items())
    head = lambda flags: (b'APETAGEX' + struct.pack('<IIII', 2000, len(body) + 32, len(items),
                                                    flags) + bytes(8))
    return head(0xA0000000) + body + head(0x80000000)


def _with_ape(p):
    "`p` with an APEv2 tag inserted before its ID3v1 tag (where taggers put it)."
    d = p.read_bytes(); assert d[-128:-125] == b'TAG'
    ape = _ape_tag({'Title': b'A clip', 'Artist': b'Someone', 'Comment': bytes(500)})
    p.write_bytes(d[:-128] + ape + d[-128:])


def _chunk(tag: bytes, data: bytes) -> bytes:
    "A RIFF chunk; odd sizes are padded to an even number of bytes."
    return tag + struct.pack('<I', len(data)) + data + (b'\0' if len(data) % 2 else b'')


def _wav_with_chunks(src, p):
    """The source's 16-bit samples in a WAV with the chunks editors add: JUNK before fmt, LIST/INFO
    with an odd-sized string, an odd-sized 'junk', an 'id3 ' chunk after the data."""
    y, sr = sf.read(str(src), dtype='int16', always_2d=True)
    c = y.shape[1]
    fmt = struct.pack('<HHIIHH', 1, c, sr, sr * 2 * c, 2 * c, 16)
    info = b'INFO' + _chunk(b'INAM', b'A clip\0') + _chunk(b'ICMT', b'odd!\0')
    body = (b'WAVE' + _chunk(b'JUNK', bytes(28)) + _chunk(b'fmt ', fmt) + _chunk(b'LIST', info)
            + _chunk(b'junk', b'odd') + _chunk(b'data', y.tobytes())
            + _chunk(b'id3 ', b'ID3\x04' + bytes(6)))
    p.write_bytes(b'RIFF' + struct.pack('<I', len(body)) + body)


def _piped(cmd_in, cmd_out, p):
    """What `cmd_in | cmd_out | cat > p` writes: `cmd_out` reads a stream of unknown length and
    writes to a pipe, so it can neither know nor go back to fill in the lengths in its header."""
    pipe, quiet = subprocess.PIPE, subprocess.DEVNULL
    a = subprocess.Popen([str(c) for c in cmd_in], stdout=pipe, stderr=quiet)
    b = subprocess.Popen([str(c) for c in cmd_out], stdin=a.stdout, stdout=pipe, stderr=quiet)
    a.stdout.close()
    with open(p, 'wb') as f: shutil.copyfileobj(b.stdout, f)
    b.stdout.close(); assert a.wait() == 0 and b.wait() == 0


def lame(*args): return lambda s, p: _run('lame', '--quiet', *args, s, p)
def lame_tagged(*args):
    "lame with an ID3v2 tag holding cover art (and an ID3v1 tag), then an APEv2 tag."
    return lambda s, p: (_run('lame', '--quiet', *args, '--add-id3v2', '--tt', 'A clip',
                              '--ti', s.parent / 'cover.png', s, p), _with_ape(p))
def sox(*args): return lambda s, p: _run('sox', s, *args, p)
RAW = lambda s: ['sox', s, '-t', 'raw', '-']                      # 16-bit samples, no header
# the reference decoders, writing WAV `r` from `p`
MPG = lambda p, r: _run('mpg123', '-q', '-e', 'f32', '-w', r, p)  # gapless, as libsndfile
SOX = lambda p, r: _run('sox', p, '-e', 'floating-point', '-b', '32', r)
FLAC = lambda p, r: _run('flac', '-s', '-d', '-f', '-o', r, p)
OPUSDEC = lambda p, r: _run('opusdec', '--quiet', '--rate', 48000, '--float', p, r)

# name: (rate, channels, how it is made from the source `s` into `p`, reference decoder, tolerance)
# Tolerances (max |difference| of the mono mixdown): 1e-6 where both sides are exact integer PCM
# scaled to float (flac, sox on PCM); 1e-5 where both run the same codec library in float (mpg123,
# opusdec; a third of a 16-bit step); 4e-5 for Vorbis, which sox decodes to 16 bits (one 16-bit
# step is 3.05e-5; 1.5e-5 found). A sample of shift, a lost block or a channel left out gives
# differences of 0.01 and more on this signal.
CASES = {
    'mp3 CBR no Info tag (lame -t, MPEG-2)': (44100, 2, lame('-t', '--cbr', '-b', 64), MPG, 1e-5),
    'mp3 CBR 128 kbit/s no Info tag (padded frames)':
        (44100, 2, lame('-t', '--cbr', '-b', 128), MPG, 1e-5),
    'mp3 VBR no Info tag (lame -t -V 4)': (44100, 2, lame('-t', '-V', 4), MPG, 1e-5),
    'mp3 CBR Info tag': (44100, 2, lame('--cbr', '-b', 128), MPG, 1e-5),
    'mp3 VBR Info tag, 22.05 kHz mono': (22050, 1, lame('-V', 2), MPG, 1e-5),
    'mp3 8 kHz mono no Info tag (MPEG-2.5)': (8000, 1, lame('-t', '--cbr', '-b', 16), MPG, 1e-5),
    'mp3 ID3v2 with cover art, APE, ID3v1, no Info tag':
        (44100, 2, lame_tagged('-t', '--cbr', '-b', 96), MPG, 1e-5),
    'mp3 ID3v2 with cover art, APE, ID3v1, Info tag': (44100, 2, lame_tagged('-V', 5), MPG, 1e-5),
    'wav 8-bit unsigned, 8 kHz mono': (8000, 1, sox('-b', 8, '-e', 'unsigned'), SOX, 1e-6),
    'wav 24-bit, 96 kHz stereo': (96000, 2, sox('-b', 24), SOX, 1e-6),
    'wav JUNK, LIST/INFO, junk and id3 chunks': (44100, 2, _wav_with_chunks, SOX, 1e-6),
    'wav 5.1 (extensible), 48 kHz': (48000, 6, sox(), SOX, 1e-6),
    'wav written to a pipe by sox (no length)': (22050, 2, lambda s, p: _piped(RAW(s), [
        'sox', '-t', 'raw', '-r', 22050, '-e', 'signed', '-b', 16, '-c', 2, '-', '-t', 'wav', '-'],
        p), SOX, 1e-6),
    'flac with a seek table': (44100, 2, lambda s, p: _run('flac', '-s', '-f', '-S', '0.1s', '-o',
                                                           p, s), FLAC, 1e-6),
    'flac 24-bit 5.1, 96 kHz': (96000, 6, lambda s, p: (
        _run('sox', s, '-b', 24, p.with_suffix('.24.wav')),
        _run('flac', '-s', '-f', '-o', p, p.with_suffix('.24.wav'))), FLAC, 1e-6),
    'flac written to a pipe (no length in STREAMINFO)': (44100, 1, lambda s, p: _piped(RAW(s), [
        'flac', '-s', '--force-raw-format', '--endian=little', '--sign=signed', '--channels=1',
        '--bps=16', '--sample-rate=44100', '-c', '-'], p), FLAC, 1e-6),
    'ogg vorbis (sox)': (44100, 2, sox('-C', 3), SOX, 4e-5),
}
if OPUS:
    CASES['ogg opus (opusenc), 48 kHz'] = (48000, 2, lambda s, p: _run('opusenc', '--quiet', s, p),
                                           OPUSDEC, 1e-5)
SUFFIX = {'mp3': '.mp3', 'wav': '.wav', 'flac': '.flac', 'ogg': '.ogg'}


@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
    """Every case written by its tool and decoded by its reference decoder:
    {name: (file, reference mono float32, its rate)}."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    assert not missing, (f"{', '.join(missing)} not installed: `make test` installs them "
                         f"(tools/debian_deps.sh), or run: apt-get install -y {PACKAGES}")
    d = tmp_path_factory.mktemp('real_world')
    png = b'\x89PNG\r\n\x1a\n' + np.random.default_rng(0).bytes(30_000)       # 30 KB album art
    (d / 'cover.png').write_bytes(png)
    out = {}
    for i, (name, (sr, ch, make, decode, _)) in enumerate(CASES.items()):
        p, r = d / f'{i:02d}{SUFFIX[name.split()[0]]}', d / f'{i:02d}.ref.wav'
        make(_source(d, sr, ch), p); decode(p, r)
        ref, ref_sr = sf.read(str(r), dtype='float32', always_2d=True)
        out[name] = p, ref.mean(axis=1), ref_sr
    return out


def test_corpus_is_what_it_claims(corpus):
    "Each case holds what it is named for: a change in a tool's defaults cannot empty a case."
    f = {name: p.read_bytes() for name, (p, _, _) in corpus.items()}
    for name, d in f.items():
        if name.startswith('mp3'):             # the first frame, after any ID3v2 tag: Info or not
            s = A._mpeg_span(corpus[name][0])[0]
            tagged = b'Info' in d[s:s + 200] or b'Xing' in d[s:s + 200]
            assert tagged == ('no Info' not in name), name
    for name in ('mp3 ID3v2 with cover art, APE, ID3v1, no Info tag',
                 'mp3 ID3v2 with cover art, APE, ID3v1, Info tag'):
        d = f[name]
        assert d[:3] == b'ID3' and b'PNG' in d[:1000] and A._mpeg_span(corpus[name][0])[0] > 30_000
        assert d[-128:-125] == b'TAG' and d[-160:-152] == b'APETAGEX'
    info = lambda name: sf.info(str(corpus[name][0]))
    assert info('wav 8-bit unsigned, 8 kHz mono').subtype == 'PCM_U8'
    assert info('wav 24-bit, 96 kHz stereo').subtype == 'PCM_24'
    d = f['wav JUNK, LIST/INFO, junk and id3 chunks']
    assert all(c in d for c in (b'JUNK', b'LIST', b'INFO', b'junk', b'id3 '))
    assert f['wav 5.1 (extensible), 48 kHz'][20:22] == b'\xfe\xff'         # WAVE_FORMAT_EXTENSIBLE
    d = f['wav written to a pipe by sox (no length)']                     # sox's placeholder size
    assert d[36:40] == b'data' and 0x7FFFF000 - int.from_bytes(d[40:44], 'little') < 64
    seek = subprocess.run(['metaflac', '--list', '--block-type=SEEKTABLE',
                           corpus['flac with a seek table'][0]],
                          capture_output=True, text=True).stdout
    assert int(re.search(r'SEEKTABLE.*?seek points: (\d+)', seek, re.S).group(1)) >= 2
    assert info('flac written to a pipe (no length in STREAMINFO)').frames == 2 ** 63 - 1
    assert info('flac 24-bit 5.1, 96 kHz').subtype == 'PCM_24'
    if OPUS: assert info('ogg opus (opusenc), 48 kHz').subtype == 'OPUS'


def _lag(y, x) -> int:
    "The shift of `x` inside `y` (samples) at the cross-correlation peak."
    n = len(y) + len(x)
    c = np.fft.irfft(np.fft.rfft(y, 2 * n) * np.conj(np.fft.rfft(x, 2 * n)))
    k = int(np.argmax(c)); return k if k < n else k - 2 * n


def _blocks(monkeypatch):
    "Every file through the long-file path, in blocks of 4096 frames."
    monkeypatch.setattr(A, 'BLOCK_DECODE_SAMPLES', 0); monkeypatch.setattr(A, 'BLOCK_FRAMES', 4096)


@pytest.mark.parametrize('name', CASES)
def test_real_world_file_loads_as_its_reference_decoder(corpus, name, monkeypatch):
    p, ref, ref_sr = corpus[name]
    sr, ch, _, _, tol = CASES[name]
    y = load_audio(p, ref_sr)                      # at the file's own rate: decoding alone compared
    assert len(y) == len(ref), (len(y), len(ref))
    assert np.abs(y - ref).max() <= tol, np.abs(y - ref).max()
    # the reference is the signal: aligned by cross-correlation, it holds all of it, close to the
    # source mixed down at the decoder's rate (an MP3 without Info tag keeps the encoder's delay
    # and padding: under two and three MPEG frames)
    x = _signal(sr, ch).mean(axis=1)
    if ref_sr != sr: x = soxr.resample(x, sr, ref_sr)
    lag = _lag(ref, x)
    gapless = 'no Info' not in name
    assert lag == 0 if gapless else 0 <= lag < 2 * 1152, lag
    extra = len(ref) - len(x) - lag
    assert extra == 0 if gapless else 0 <= extra < 3 * 1152, (len(ref), len(x), lag)
    snr = 10 * np.log10((x ** 2).sum() / ((ref[lag:lag + len(x)] - x) ** 2).sum())
    assert snr > (12 if name.startswith(('mp3', 'ogg')) else 20 if '8-bit' in name else 40), snr
    # decoded in blocks (the long-file path): the same samples (mpg123's float synthesis may round
    # a last bit apart with another output buffer: 3e-8 seen), at 16 kHz too
    _blocks(monkeypatch)
    assert np.abs(load_audio(p, ref_sr) - y).max() <= 1e-6
    monkeypatch.undo()
    y16 = load_audio(p, 16000)
    assert len(y16) == int(np.ceil(len(ref) * 16000 / ref_sr))
    _blocks(monkeypatch)
    assert np.abs(load_audio(p, 16000) - y16).max() <= 1e-6


def test_mp3_without_info_tag_is_its_whole_stream(corpus):
    """The issue's case: libsndfile's frame count of an MP3 without Info tag is an estimate, longer
    or shorter than the stream; the whole stream loads."""
    for name in ('mp3 CBR no Info tag (lame -t, MPEG-2)',
                 'mp3 CBR 128 kbit/s no Info tag (padded frames)',
                 'mp3 VBR no Info tag (lame -t -V 4)',
                 'mp3 ID3v2 with cover art, APE, ID3v1, no Info tag'):
        p, ref, ref_sr = corpus[name]
        assert not A._mpeg_length_tag(p) and A._exact_frames(p, sf.info(str(p))) is None
        assert len(load_audio(p, ref_sr)) == len(ref)
    for name in ('mp3 CBR 128 kbit/s no Info tag (padded frames)',
                 'mp3 ID3v2 with cover art, APE, ID3v1, no Info tag'):
        p, ref, _ = corpus[name]
        assert sf.info(str(p)).frames > len(ref)       # longer: padding, tags ("truncated" before)
    p, ref, _ = corpus['mp3 VBR no Info tag (lame -t -V 4)']
    assert sf.info(str(p)).frames < 0.9 * len(ref)    # shorter: libsndfile alone reads a part
    for name in ('mp3 CBR Info tag', 'mp3 ID3v2 with cover art, APE, ID3v1, Info tag'):
        p, ref, _ = corpus[name]
        assert A._mpeg_length_tag(p) and A._exact_frames(p, sf.info(str(p))) == len(ref)


def _cut(p, q, keep=0.6):
    q.write_bytes(p.read_bytes()[:int(p.stat().st_size * keep)]); return q


OGG_CUT = r'truncated file \(the last Ogg page (lacks its end-of-stream mark|is cut off)\)'
FRAMES = r'truncated file \(\d+ of \d+ frames\)'
@pytest.mark.parametrize('name, keep, says', [
    ('mp3 CBR Info tag', 0.6, FRAMES),
    ('mp3 ID3v2 with cover art, APE, ID3v1, Info tag', 0.9, FRAMES),
    ('mp3 ID3v2 with cover art, APE, ID3v1, Info tag', 0.3,
     r'truncated file \(its ID3v2 tag runs past the end\)'),
    ('mp3 VBR no Info tag (lame -t -V 4)', 0.6,
     r'truncated or damaged file \(the MPEG decoder failed before the end'),
    ('flac with a seek table', 0.6,
     r'truncated file \(\d+ of \d+ frames; the decoder: .*lost sync'),
    ('wav 24-bit, 96 kHz stereo', 0.6,
     r'truncated file \(header promises \d+ data bytes, file holds \d+\)'),
    ('wav JUNK, LIST/INFO, junk and id3 chunks', 0.6, r'truncated file \(header promises'),
    ('ogg vorbis (sox)', 0.6, OGG_CUT), ('ogg vorbis (sox)', 0.9, OGG_CUT),
    ('ogg vorbis (sox)', 0.999, OGG_CUT)]
    + [('ogg opus (opusenc), 48 kHz', keep, OGG_CUT) for keep in (0.2, 0.6, 0.99) if OPUS])
def test_cut_files_are_still_truncated(corpus, tmp_path, name, keep, says, monkeypatch):
    "A file whose decoder or header says it is cut is refused in one line naming it, on both paths."
    q = _cut(corpus[name][0], tmp_path / f'cut{corpus[name][0].suffix}', keep)
    with pytest.raises(AudioError, match=f'^{re.escape(str(q))}: ' + says): load_audio(q)
    _blocks(monkeypatch)
    with pytest.raises(AudioError, match=f'^{re.escape(str(q))}: ' + says): load_audio(q)


def test_mp3_without_info_tag_cut_between_frames_loads_what_it_holds(corpus, tmp_path):
    """Nothing records such a file's length, so one cut between two frames cannot be told from a
    shorter file: it loads as mpg123 plays it. That CBR file has frames of 64 kbit/s · 576 samples /
    24 kHz = 192 bytes from byte 0."""
    p, ref, sr = corpus['mp3 CBR no Info tag (lame -t, MPEG-2)']
    q = tmp_path / 'cut.mp3'; q.write_bytes(p.read_bytes()[:192 * 40])
    y = load_audio(q, sr)
    assert len(y) == 40 * 576 and np.abs(y - ref[:40 * 576]).max() <= 1e-5
    MPG(q, tmp_path / 'cut.ref.wav')
    r = sf.read(str(tmp_path / 'cut.ref.wav'), dtype='float32', always_2d=True)[0].mean(axis=1)
    assert np.abs(y - r).max() <= 1e-5


def test_mp3_decoder_stopping_early_is_refused(corpus, tmp_path):
    """Junk inside the stream makes mpg123 stop without an error (mpg123 itself plays such a file
    up to there); the rest of the stream, never read, refuses the file: no part of it loads."""
    p = corpus['mp3 CBR no Info tag (lame -t, MPEG-2)'][0]
    d = p.read_bytes(); q = tmp_path / 'junk.mp3'
    q.write_bytes(d[:192 * 10] + np.random.default_rng(1).bytes(3000) + d[192 * 10:])
    with pytest.raises(AudioError, match=rf'^{re.escape(str(q))}: cannot decode audio \(the MPEG '
                                         rf'decoder stopped \d+ bytes or more before the end of '
                                         rf'the stream: a damaged file\)'):
        load_audio(q)


def test_length_limit_without_a_recorded_length(corpus, monkeypatch):
    """The length limit: from the header before decoding where the file records its length;
    otherwise on the frames decoded, stopping there (a VBR MP3's estimate can be off several times
    over, either way)."""
    monkeypatch.setenv('DISTILLED_VIT_MAX_AUDIO_MINUTES', str(1.0 / 60))    # 1 s; files hold 1.3 s
    p = corpus['mp3 CBR Info tag'][0]
    with pytest.raises(AudioError, match=rf'^{re.escape(str(p))}: 0.0217 min of audio by its '
                                         rf'header, over the 0.0167 min limit'):
        load_audio(p)
    unknown = ('mp3 VBR no Info tag (lame -t -V 4)',
               'flac written to a pipe (no length in STREAMINFO)')
    for name in unknown:
        p = corpus[name][0]
        says = (r'more than 0.0167 min of audio \(decoded: its header records no length\), over '
                r'the limit \(DISTILLED_VIT_MAX_AUDIO_MINUTES')
        with pytest.raises(AudioError, match=rf'^{re.escape(str(p))}: {says}'):
            load_audio(p)
    monkeypatch.setenv('DISTILLED_VIT_MAX_AUDIO_MINUTES', str(1.5 / 60))    # 1.5 s: they load
    for name in unknown:
        assert len(load_audio(corpus[name][0], corpus[name][2])) == len(corpus[name][1])
