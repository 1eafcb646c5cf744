"""GAN augmentation A/B: the teacher trained on real windows only vs real + GAN windows, same epochs, several seeds.

For every seed s: train the conditional GAN (seed s) on the training split, generate `n_synthetic` windows (seed s),
then train the teacher three times with seed s and the same epochs: on real windows only (A), on real + synthetic
windows (B), and, as a control for B's extra optimiser steps, on real + `n_synthetic` real training windows drawn
again with replacement (C: same set size and step count as B, no new information). CCC on the real test split.
With --quality, the GAN quality metrics of the first seed (label fidelity, Fréchet distance, TSTR) are added.
Writes benchmarks/results/gan_ab.md and gan_ab.json; the exact command is recorded in both. Example:

    nice .venv/bin/python benchmarks/gan_ab.py --preset cpu --seeds 0 1 2 --set teacher_arch=vit_tiny_patch16_224 teacher_stem=patch teacher_epochs=4 --quality
"""
import argparse, os, platform, shlex, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIMS = ('valence', 'arousal')
ARMS = ('real', 'real+resampled real', 'real+synthetic')

def _mean_std(xs):
    import numpy as np
    xs = np.asarray(xs, float)
    return float(xs.mean()), float(xs.std(ddof=1)) if len(xs) > 1 else 0.0

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--preset', default='cpu')
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--set', nargs='*', default=[], help='config overrides key=value (as the CLI)')
    ap.add_argument('--out', default='runs/gan_ab', help='work folder (reruns resume from its checkpoints)')
    ap.add_argument('--quality', action='store_true', help='also measure GAN quality (first seed)')
    ap.add_argument('--results', default=str(ROOT / 'benchmarks' / 'results'), help='where gan_ab.md/.json go')
    a = ap.parse_args(argv)
    os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('MPLBACKEND', 'Agg')
    import numpy as np, pandas as pd, torch
    from distilled_vit.core import get_config, parse_overrides
    from distilled_vit.rundir import RunDir, atomic_write_json, atomic_write_text
    from distilled_vit.data import load_dataset
    from distilled_vit.gan import train_gan, generate_synthetic, gan_metrics, GANCollapseError
    from distilled_vit.teacher import train_teacher
    command = 'nice .venv/bin/python benchmarks/gan_ab.py ' + ' '.join(shlex.quote(x) for x in (argv if argv is not None else sys.argv[1:]))
    overrides = parse_overrides(a.set)
    t_all = time.perf_counter()
    rows, quality, collapsed = [], None, []
    for s in a.seeds:
        cfg = get_config(a.preset, **{**overrides, 'seed': s, 'gan': True})
        data = load_dataset(cfg, progress=False)
        run = RunDir(Path(a.out) / f'seed{s}', cfg)
        try: G = train_gan(cfg, run, data, progress=False)
        except GANCollapseError as e:                      # a result too: recorded, the seed's teachers are skipped
            print(f'seed {s}: {e}', flush=True); collapsed.append(dict(seed=s, error=str(e))); continue
        t0 = time.perf_counter(); X, y = generate_synthetic(G, cfg, data, cfg.n_synthetic, s); t_gen = time.perf_counter() - t0
        # seconds summed over the epochs' own timings, so a resumed benchmark still reports full training times
        row = dict(seed=s, gan_seconds=round(float(pd.read_csv(run.path / 'gan' / 'history.csv').seconds.sum()), 1),
                   generate_seconds=round(t_gen, 2))
        Xtr, ytr = data.arrays('train')
        again = np.random.default_rng([s, 99]).integers(len(Xtr), size=cfg.n_synthetic)
        for arm, extra in (('real', None), ('real+resampled real', (Xtr[again], ytr[again])), ('real+synthetic', (X, y))):
            tdir = run.path / ('teacher_' + arm.replace('+', '_').replace(' ', '_'))
            _, m = train_teacher(cfg, run, data, extra, progress=False, out_dir=tdir)
            row[arm] = dict({k: m[k] for k in ('ccc_valence', 'ccc_arousal', 'ccc_mean', 'train_windows')},
                            seconds=round(float(pd.read_csv(tdir / 'history.csv').seconds.sum()), 1))
            print(f"seed {s} {arm:<20} CCC V {m['ccc_valence']:.3f} A {m['ccc_arousal']:.3f} mean {m['ccc_mean']:.3f} "
                  f"({m['train_windows']} windows, {row[arm]['seconds']:.0f}s)", flush=True)
        rows.append(row)
        if a.quality and quality is None:
            quality = gan_metrics(cfg, data, (X, y), run.stage('gan'), progress=False)
    if not rows: raise SystemExit(f'every GAN collapsed, nothing to compare: {collapsed}')
    cfg = get_config(a.preset, **{**overrides, 'seed': a.seeds[0], 'gan': True})
    summary, verdicts, wins = {}, {}, {}
    K = ('ccc_valence', 'ccc_arousal', 'ccc_mean')
    for arm in ARMS:
        summary[arm] = {k: _mean_std([r[arm][k] for r in rows]) for k in K}
    n = len(rows)
    for base in ('real', 'real+resampled real'):
        summary[f'synthetic - {base}'] = {k: _mean_std([r['real+synthetic'][k] - r[base][k] for r in rows]) for k in K}
        d, sd = summary[f'synthetic - {base}']['ccc_mean']
        wins[base] = int(sum(r['real+synthetic']['ccc_mean'] > r[base]['ccc_mean'] for r in rows))
        verdicts[base] = ('helps' if n > 1 and d - 2 * sd / n ** 0.5 > 0 else
                          'hurts' if n > 1 and d + 2 * sd / n ** 0.5 < 0 else 'no clear effect')
    machine = dict(python=platform.python_version(), torch=torch.__version__, cpu_count=os.cpu_count(), threads=cfg.num_threads)
    res = dict(command=command, date=time.strftime('%Y-%m-%d'), preset=a.preset, overrides=overrides, seeds=a.seeds,
               setting={k: getattr(cfg, k) for k in ('n_clips', 'n_mels', 'win_frames', 'teacher_arch', 'teacher_epochs',
                                                     'teacher_lr', 'batch_size', 'gan_epochs', 'gan_width', 'gan_z_dim',
                                                     'gan_lr', 'gan_batch', 'gan_vicinity', 'n_synthetic')},
               runs=rows, collapsed=collapsed, summary=summary, verdicts=verdicts, wins=wins, quality=quality, machine=machine,
               wall_seconds=round(time.perf_counter() - t_all, 1))
    dst = Path(a.results)
    atomic_write_json(dst / 'gan_ab.json', res)
    st = res['setting']
    f = lambda ms: f'{ms[0]:.3f} ± {ms[1]:.3f}'
    fd = lambda ms: f'{ms[0]:+.3f} ± {ms[1]:.3f}'
    rw = rows[0]['real']['train_windows']
    lines = ['# GAN augmentation A/B: teacher on real vs real + synthetic windows', '',
             f'Command: `{command}`', '',
             f'({res["date"]}; Python {machine["python"]}, torch {machine["torch"]}, {machine["cpu_count"]} CPU cores '
             f'shared with other jobs, {machine["threads"]} torch threads; {res["wall_seconds"] / 60:.1f} min in all.)', '',
             f'Setting: `{a.preset}` preset' + (f' with {", ".join(f"`{k}={v}`" for k, v in overrides.items())}' if overrides else '')
             + f': {st["n_clips"]} clips, {st["n_mels"]}×{st["win_frames"]} windows, {rw} real training windows; teacher '
             f'`{st["teacher_arch"]}` for {st["teacher_epochs"]} epochs (lr {st["teacher_lr"]}, batch {st["batch_size"]}) in every '
             f'arm; GAN width {st["gan_width"]}, {st["gan_epochs"]} epochs, {st["n_synthetic"]} synthetic windows. '
             f'Seeds {", ".join(map(str, a.seeds))}: each seed trains its own GAN and all three teachers. '
             f'"real+resampled real" adds {st["n_synthetic"]} real training windows drawn again with replacement: the '
             'same set size, hence the same number of optimiser steps, as "real+synthetic" (same epochs means more '
             'steps for a larger set). CCC on the real test split, mean ± std over seeds.', '',
             '| teacher trained on | CCC valence | CCC arousal | CCC mean |', '|---|---|---|---|']
    for arm in ARMS:
        lines.append(f'| {arm} ({rows[0][arm]["train_windows"]} windows) | ' + ' | '.join(f(summary[arm][k]) for k in K) + ' |')
    for base in ('real', 'real+resampled real'):
        lines.append(f'| synthetic − {base} (paired) | ' + ' | '.join(fd(summary[f"synthetic - {base}"][k]) for k in K) + ' |')
    lines += ['', '| seed | ' + ' | '.join(f'{arm}: V / A / mean' for arm in ARMS) + ' | GAN training s | generation s |',
              '|---' * (len(ARMS) + 3) + '|']
    g = lambda m: f"{m['ccc_valence']:.3f} / {m['ccc_arousal']:.3f} / {m['ccc_mean']:.3f}"
    for r in rows:
        lines.append(f"| {r['seed']} | " + ' | '.join(g(r[arm]) for arm in ARMS) + f" | {r['gan_seconds']:.0f} | {r['generate_seconds']:.1f} |")
    for c in collapsed: lines += ['', f"Seed {c['seed']}: the GAN collapsed, no teachers trained ({c['error']})."]
    say = {'helps': 'helps', 'hurts': 'hurts', 'no clear effect': 'has no clear effect'}
    lines += ['', '**Verdict.** Against real only, adding synthetic windows '
              f'**{say[verdicts["real"]]}** (mean CCC {fd(summary["synthetic - real"]["ccc_mean"])}, better in '
              f'{wins["real"]} of {n} seeds). Against the same-size real control, it **{say[verdicts["real+resampled real"]]}** '
              f'(mean CCC {fd(summary["synthetic - real+resampled real"]["ccc_mean"])}, better in {wins["real+resampled real"]} '
              f'of {n} seeds): that comparison isolates what the synthetic windows themselves add. '
              '"helps"/"hurts" need the paired mean difference beyond two standard errors.']
    if quality is not None:
        q = quality
        lines += ['', f'GAN quality (seed {a.seeds[0]}): label fidelity CCC V {q["label_fidelity"]["ccc_valence"]:.3f} / '
                  f'A {q["label_fidelity"]["ccc_arousal"]:.3f} (reference regressor on real test: '
                  f'{q["reference_real_test"]["ccc_valence"]:.3f} / {q["reference_real_test"]["ccc_arousal"]:.3f}); '
                  f'Fréchet distance synthetic vs real {q["frechet"]["synthetic_vs_real"]:.2f} (real vs real '
                  f'{q["frechet"]["real_vs_real"]:.2f}); TSTR CCC V {q["tstr_real_test"]["ccc_valence"]:.3f} / '
                  f'A {q["tstr_real_test"]["ccc_arousal"]:.3f}; synthetic/real variance {q["variance"]["ratio"]:.2f}.']
    lines.append('')
    atomic_write_text(dst / 'gan_ab.md', '\n'.join(lines))
    print('\n'.join(lines))

if __name__ == '__main__':
    main()
