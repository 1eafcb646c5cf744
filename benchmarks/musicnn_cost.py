"""What MusiCNN costs on this CPU (issue 33, item 1): ms per clip at 1 and 2 threads, and the one-off conversion.

Writes benchmarks/results/musicnn_cost.json and musicnn_cost.md. Regenerate, alone on the machine, with:

    .venv/bin/python benchmarks/musicnn_cost.py --threads 1 2

The torch port of MSD_musicnn (01c_musicnn) with the wheel's weights, on a clip of synthesised music (`--seconds`,
30 s by default, at 16 kHz, in memory): its own front end (log-mel patches, librosa, `musicnn_patches`), the network
on every 3 s patch (16 per batch, as `musicnn_embed` runs them), and both together (`musicnn_embed`, what the data
stage pays per clip; reading and resampling the file come on top). torch's intra-op threads set to each `--threads`.
Median of `--repeats` runs after one warm-up, interquartile range in brackets. One-off costs, in a fresh temporary
feature cache: checking the wheel's files (SHA-256), reading and converting the TensorFlow checkpoint to safetensors,
and loading the converted weights (what every later process pays).
"""
import argparse, os, shutil, sys, tempfile, time
from pathlib import Path
import _machine                                         # benchmarks/_machine.py

ROOT = Path(__file__).resolve().parent.parent


def _times(fn, repeats):
    import numpy as np
    fn(); ts = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); ts.append((time.perf_counter() - t0) * 1e3)
    q25, q50, q75 = np.percentile(ts, [25, 50, 75])
    return dict(median=round(float(q50), 2), q25=round(float(q25), 2), q75=round(float(q75), 2))


def _once(fn):
    t0 = time.perf_counter(); out = fn(); return out, round((time.perf_counter() - t0) * 1e3, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    ap.add_argument('--seconds', type=float, default=30.0, help='clip length to time')
    ap.add_argument('--repeats', type=int, default=10)
    ap.add_argument('--out', default=str(ROOT / 'benchmarks' / 'results'))
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix='dvit-musicnn-cost-'))
    os.environ['DISTILLED_VIT_CACHE'] = str(tmp)         # a fresh feature cache: the conversion is timed, not found
    import numpy as np, torch
    from distilled_vit.rundir import atomic_write_json, atomic_write_text
    from distilled_vit.data import synth_clip, sample_music_params
    from distilled_vit import musicnn as M
    load_before = os.getloadavg()[0]
    try:
        folder, check_ms = _once(M.checkpoint_folder)
        path, convert_ms = _once(lambda: M.convert_checkpoint(f"{folder}{os.sep}", M.musicnn_weights_path()))
        model, load_ms = _once(M.musicnn_model)          # finds the converted file: the load every later process pays
        weights_mb = round(path.stat().st_size / 2**20, 2)
        y = synth_clip(sample_music_params(np.random.default_rng(7)), M.MUSICNN_RATE, a.seconds).astype(np.float32)
        X = torch.from_numpy(M.musicnn_patches(y))
        def network():
            with torch.no_grad():
                for i in range(0, len(X), 16): model.forward_head(model.forward_features(X[i:i + 16]), True)
        rows = dict(frontend={}, network={}, embed={})
        for th in a.threads:
            torch.set_num_threads(th)
            rows['frontend'][th] = _times(lambda: M.musicnn_patches(y), a.repeats)
            rows['network'][th] = _times(network, a.repeats)
            rows['embed'][th] = _times(lambda: M.musicnn_embed(y, M.MUSICNN_RATE, model), a.repeats)
            print(f"{th} thread(s): musicnn_embed {rows['embed'][th]['median']:.0f} ms per {a.seconds:g} s clip "
                  f"({len(X)} patches)", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    cmd = (f".venv/bin/python benchmarks/musicnn_cost.py --threads {' '.join(map(str, a.threads))}"
           + (f" --seconds {a.seconds:g}" if a.seconds != 30.0 else '') + (f" --repeats {a.repeats}" if a.repeats != 10 else ''))
    machine = _machine.machine(load_before)
    res = dict(threads=a.threads, seconds=a.seconds, patches=len(X), repeats=a.repeats, command=cmd,
               date=time.strftime('%Y-%m-%d'), machine=machine, ms=rows, weights_mb=weights_mb,
               parameters=sum(p.numel() for p in model.parameters()),
               once_ms=dict(check_wheel=check_ms, convert=convert_ms, load_converted=load_ms),
               statistic='median ms per clip (interquartile range)')
    out = Path(a.out); atomic_write_json(out / 'musicnn_cost.json', res)
    cell = lambda t: f"{t['median']:.0f} ({t['q25']:.0f}–{t['q75']:.0f})"
    names = dict(frontend='front end: log-mel patches (`musicnn_patches`)', network=f'network on the {len(X)} patches',
                 embed='both (`musicnn_embed`, per clip)')
    L = [f'# What MusiCNN costs on this CPU ({a.seconds:g} s clip)', '',
         f'Command: `{cmd}` ({res["date"]}; Python {machine["python"]}, torch {machine["torch"]}; {machine["cpu"]}, '
         f'{machine["cpu_count"]} cores; 1-min load average {machine["load_1min_before"]} before, '
         f'{machine["load_1min_after"]} after).', '',
         f'The torch port of MSD_musicnn (01c_musicnn, {res["parameters"]:,} parameters, {weights_mb} MB of safetensors) on '
         f'{a.seconds:g} s of synthesised music at 16 kHz in memory ({len(X)} patches of 3 s). Median ms over {a.repeats} '
         f'runs after one warm-up, interquartile range in brackets.', '',
         '| what | ' + ' | '.join(f'{th} thread{"s" if th > 1 else ""} (ms)' for th in a.threads) + ' |',
         '|---|' + '---|' * len(a.threads)]
    L += [f"| {names[k]} | " + ' | '.join(cell(rows[k][th]) for th in a.threads) + ' |' for k in rows]
    L += ['', f"Once per checkpoint: checking the wheel's files {check_ms:.0f} ms, reading the TensorFlow checkpoint "
              f"(CRCs checked) and writing the safetensors {convert_ms:.0f} ms; then every process loads the converted "
              f"weights in {load_ms:.0f} ms."]
    if load_before > 0.5 * (os.cpu_count() or 1):
        L += ['', f'**Caution:** the machine was busy when it started (load {load_before:.1f}): rerun alone for reference numbers.']
    atomic_write_text(out / 'musicnn_cost.md', '\n'.join(L) + '\n')
    print('\n'.join(L))


if __name__ == '__main__':
    main()
