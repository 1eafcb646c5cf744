"""Reference outputs of the original MusiCNN (TensorFlow) for `nbs/01c_musicnn.ipynb`'s parity test.

Writes nbs/fixtures/musicnn_ref.npz: for a few short synthetic clips (made here from integer arithmetic, so any machine
makes the same samples bit for bit), the taggram [P, 50] and the penultimate layer [P, 200] of `musicnn` 0.1.0's
MSD_musicnn as its own extractor computes them under TensorFlow, and each log-mel patch's sum. TensorFlow is never a
dependency of distilled_vit: run this once, in a scratch environment, only to regenerate the fixture:

    python3 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install tensorflow tf-keras librosa soundfile
    /tmp/tfenv/bin/pip install --no-deps musicnn==0.1.0
    TF_USE_LEGACY_KERAS=1 /tmp/tfenv/bin/python tools/musicnn_reference.py

Two departures from a plain `musicnn.extractor.extractor` call, both to get what the extractor meant:
- its log-mel line `np.log10(10000 * audio_rep + 1)` on a float16 array is run in float32 after the float16 rounding,
  which is what numpy < 1.17 (the numpy it asked for) computed; under numpy >= 2 the product stays float16 and
  overflows to inf in loud bins;
- one batch per clip (`BATCH_SIZE` 64): for every batch after the first, the extractor returns the first batch's
  penultimate values again (it appends a variable of the first batch).
The restore is checked to have happened (the extractor's bare `except:` would otherwise run random weights silently).
"""
import hashlib, os, sys, tempfile
from pathlib import Path
import numpy as np

RATE = 16000
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / 'nbs' / 'fixtures' / 'musicnn_ref.npz'


def _noise(seed: int, n: int) -> np.ndarray:
    "Uniform noise in [-1, 1) from a counter-based hash (splitmix64): integer operations only, the same everywhere."
    with np.errstate(over='ignore'):
        z = (np.arange(n, dtype=np.uint64) + np.uint64(seed)) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return (z >> np.uint64(40)).astype(np.float64) / 2.0 ** 23 - 1.0


def _saw(period: int, n: int) -> np.ndarray: return (np.arange(n) % period) / period * 2.0 - 1.0
def _square(period: int, n: int) -> np.ndarray: return np.where(np.arange(n) % period < period // 2, 1.0, -1.0)
def _decay(every: int, n: int) -> np.ndarray: return 1.0 - (np.arange(n) % every) / every     # a note every `every` samples


def reference_clip(name: str) -> np.ndarray:
    """One of `CLIPS`: mono float32 audio at 16 kHz made with exactly rounded float64 operations (+ - * / and integer
    arithmetic; no sin, no sums over arrays), so the samples are bit-identical on any machine and numpy."""
    seconds, = [s for n, s in CLIPS if n == name]
    n = int(seconds * RATE)
    if name == 'chord':          # a sawtooth triad (periods 61, 48, 41 samples: 262, 333, 390 Hz), a new strike every 0.5 s
        y = (_saw(61, n) + _saw(48, n) + _saw(41, n)) * 0.25 * _decay(8000, n)
    elif name == 'bursts':       # 0.1 s noise bursts every 0.25 s over a gated square bass (146 samples: 110 Hz)
        gate = (np.arange(n) % 4000 < 1600).astype(np.float64)
        y = _noise(7, n) * 0.3 * gate + _square(146, n) * 0.2 * _decay(8000, n)
    elif name == 'melody':       # square-wave notes of 0.4 s over quiet noise
        periods = np.array([73, 65, 58, 55, 49, 55, 65, 82])
        p = periods[(np.arange(n) // 6400) % len(periods)]
        y = np.where(np.arange(n) % p < p // 2, 0.2, -0.2) * _decay(6400, n) + _noise(11, n) * 0.02
    else: raise KeyError(name)
    return y.astype(np.float32)


# (name, seconds): 4 s = 250 frames is one patch (its last 63 frames are dropped, as the extractor drops them);
# 7 s and 6.2 s are two patches each
CLIPS = (('chord', 4.0), ('bursts', 7.0), ('melody', 6.2))


def clip_sha256(y: np.ndarray) -> str: return hashlib.sha256(np.ascontiguousarray(y, np.float32).tobytes()).hexdigest()


def main():
    os.environ.setdefault('TF_USE_LEGACY_KERAS', '1'); os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
    import inspect, importlib.metadata as md
    import soundfile as sf, librosa, tensorflow as tf
    from musicnn import extractor as ex
    old = 'audio_rep = np.log10(10000 * audio_rep + 1)'
    src = inspect.getsource(ex.batch_data)
    assert src.count(old) == 1, 'musicnn.extractor.batch_data is not the 0.1.0 code this script patches'
    exec(src.replace(old, 'audio_rep = np.log10(10000 * audio_rep.astype(np.float32) + 1)'), ex.__dict__)
    ex.config.BATCH_SIZE = 64
    restored, restore = [], tf.compat.v1.train.Saver.restore
    def checked_restore(self, sess, path): restore(self, sess, path); restored.append(path)
    tf.compat.v1.train.Saver.restore = checked_restore
    out = dict(names=np.array([n for n, _ in CLIPS]), seconds=np.array([s for _, s in CLIPS]),
               made_with=np.array(f"musicnn {md.version('musicnn')}, tensorflow {tf.__version__}, librosa {librosa.__version__}, "
                                  f"numpy {np.__version__} (float16 line run in float32, one batch per clip)"))
    with tempfile.TemporaryDirectory() as tmp:
        for name, _ in CLIPS:
            y = reference_clip(name); path = Path(tmp) / f'{name}.wav'
            sf.write(path, y, RATE, subtype='FLOAT')
            n_frames = librosa.time_to_frames(3, sr=RATE, n_fft=512, hop_length=256) + 1
            patches, _ = ex.batch_data(str(path), n_frames, n_frames)
            restored.clear()
            taggram, _, feats = ex.extractor(str(path), model='MSD_musicnn', input_length=3, extract_features=True)
            assert restored, 'the checkpoint was not restored'
            out[f'{name}_sha256'] = np.array(clip_sha256(y))
            out[f'{name}_taggram'] = np.asarray(taggram, np.float32).reshape(-1, 50)
            out[f'{name}_penultimate'] = np.asarray(feats['penultimate'], np.float32).reshape(-1, 200)
            out[f'{name}_mel_sum'] = patches.astype(np.float64).sum((1, 2))
            print(f"{name}: {len(patches)} patch(es), largest log-mel {patches.max():.2f} "
                  f"(bins over 6.55 before the log: {(patches > np.log10(10000 * 6.55 + 1)).sum()})", file=sys.stderr)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == '__main__':
    main()
