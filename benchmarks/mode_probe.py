"""Can the audio-only student learn mode (major/minor) from audio at all, given many more windows than the labelled set?

Issue 25's audio-only goal needs the student to pick up, from the harmony teacher's targets, what the transcriber's
rows tell the teacher: mode and consonance, the generator's valence cues. This asks the easier question first: the
package's own attribute pretraining (04a: regress the generator's attributes, including mode, directly) on N procedural
corpus windows, with the log-frequency front end (`freq_scale=log`, 96 semitone bands, n_fft 2048) that resolves
pitch. If direct supervision on N windows cannot teach mode, soft targets on a transfer set of N windows will not.
Validation R² per attribute after `--epochs` epochs. Accuracy, not timing (the runs may share the machine).

    .venv/bin/python benchmarks/mode_probe.py --windows 3000 20000 --epochs 6

Each count's result is kept in `--work` (default runs/mode_probe) and reused by a later invocation.
"""
import argparse, json, os, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def probe(n: int, epochs: int) -> dict:
    from distilled_vit.core import get_config
    import distilled_vit.pretrain as P
    os.environ['DISTILLED_VIT_CACHE'] = tempfile.mkdtemp(prefix=f'modeprobe-{n}-')   # a corpus of its own, not the user's cache
    cfg = get_config('cpu', freq_scale='log', n_mels=96, n_fft=2048, workers=1, num_threads=1, pretrain_windows=n, student_pretrain=epochs)
    _, info = P.pretrain_backbone(cfg, 'student', progress=False)
    return dict(windows=n, epochs=epochs, final=info['final'], history=info['history'])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--windows', type=int, nargs='+', default=[3000, 20000])
    ap.add_argument('--epochs', type=int, default=6)
    ap.add_argument('--work', default=str(ROOT / 'runs' / 'mode_probe'))
    ap.add_argument('--out', default=str(ROOT / 'benchmarks' / 'results'))
    a = ap.parse_args()
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    from distilled_vit.rundir import atomic_write_json, atomic_write_text
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    res = []
    for n in a.windows:
        f = work / f'w{n}_e{a.epochs}.json'
        if not f.exists():
            print(f"probing {n} windows, {a.epochs} epochs ...", flush=True)
            atomic_write_json(f, probe(n, a.epochs))
        res.append(json.loads(f.read_text()))
    cmd = f".venv/bin/python benchmarks/mode_probe.py --windows {' '.join(map(str, a.windows))} --epochs {a.epochs}"
    attrs = list(res[0]['final']['r2'])
    out = Path(a.out)
    atomic_write_json(out / 'mode_probe.json', dict(command=cmd, date=time.strftime('%Y-%m-%d'), runs=res,
                                                    setting="cpu preset, freq_scale=log, n_mels=96, n_fft=2048, student backbone"))
    L = ['# Can the audio-only student learn mode? (attribute pretraining, log-frequency bands)', '',
         f'Command: `{cmd}` ({time.strftime("%Y-%m-%d")}). The student backbone of the `cpu` preset with semitone bands, trained '
         "to regress the generator's attributes of N procedural corpus windows (04a, `student_pretrain`); validation R² "
         'per attribute (timbre: accuracy). Mode and consonance are the valence cues the harmony teacher hears.', '',
         '| windows | ' + ' | '.join(attrs) + ' | timbre accuracy |', '|---|' + '---|' * (len(attrs) + 1)]
    for r in res:
        f = r['final']
        L.append(f"| {r['windows']:,} | " + ' | '.join(f"{f['r2'][k]:.3f}" for k in attrs) + f" | {f['timbre_accuracy']:.3f} |")
    m = [r['final']['r2']['mode'] for r in res]
    learnt = m[-1] >= 0.3                                 # about where tempo stands with 3,000 windows (threshold set after the run)
    L += ['', f"Mode R² goes from {m[0]:.3f} to {m[-1]:.3f} with {res[-1]['windows'] / res[0]['windows']:.1f}× the windows "
              f"(tempo {res[-1]['final']['r2']['tempo']:.2f}, percussion {res[-1]['final']['r2']['percussion']:.2f}). "
              + ("The student learns mode from this many windows: a transfer set of this size labelled by the harmony teacher "
                 "is worth measuring." if learnt else
                 "Told mode directly, the student still barely learns it (no threshold was fixed before this run; 0.3, about "
                 "where tempo stood with 3,000 windows, is the bar read here), so a transfer set of this size labelled by the "
                 "harmony teacher, whose targets carry mode only mixed with every other cue, is not expected to teach it; the "
                 "larger transfer set of issue 25 was not run.")]
    atomic_write_text(out / 'mode_probe.md', '\n'.join(L) + '\n')
    print('\n'.join(L))


if __name__ == '__main__':
    main()
