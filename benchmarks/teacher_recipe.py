"""Teacher recipe: which teacher, trained how long, makes distillation help on a preset (default cpu)?

For every variant (config overrides on top of the preset): train the teacher, distil the default student from it,
and measure both on the real test split; the same student trained without a teacher (no-KD) is measured once. A
variant is worth its cost only if its KD student beats the no-KD student. Writes benchmarks/results/teacher_recipe.md
and .json with the exact command. Every run starts from an empty --out, so the seconds are training times. Example:

    .venv/bin/python benchmarks/teacher_recipe.py --preset cpu \\
        --variant 'ViT-S/16, 8 epochs=teacher_arch=vit_small_patch16_224,teacher_stem=patch,teacher_epochs=8' \\
        'ViT-Ti/16, 12 epochs=teacher_arch=vit_tiny_patch16_224,teacher_stem=patch,teacher_epochs=12'
    .venv/bin/python benchmarks/teacher_recipe.py --render   # rewrite the .md from the committed .json
"""
import argparse, os, platform, shlex, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VARIANTS = ['ViT-S/16, 4 epochs=teacher_arch=vit_small_patch16_224,teacher_stem=patch,teacher_epochs=4',
                    'ViT-S/16, 8 epochs=teacher_arch=vit_small_patch16_224,teacher_stem=patch,teacher_epochs=8',
                    'ViT-Ti/16, 12 epochs=teacher_arch=vit_tiny_patch16_224,teacher_stem=patch,teacher_epochs=12']

def _parse_variant(s):
    name, _, sets = s.partition('=')
    return name.strip(), [x for x in sets.split(',') if x.strip()]

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--preset', default='cpu')
    ap.add_argument('--variant', nargs='+', default=DEFAULT_VARIANTS,
                    help="'name=key=value,key=value' (overrides on top of the preset; 'name=' is the preset itself)")
    ap.add_argument('--out', default='runs/teacher_recipe', help='work folder (emptied first: every run is timed from scratch)')
    ap.add_argument('--timing-note', default='', help='a caveat about the machine, printed with the timings')
    ap.add_argument('--results', default=str(ROOT / 'benchmarks' / 'results'))
    ap.add_argument('--render', action='store_true', help='only rewrite teacher_recipe.md from teacher_recipe.json')
    a = ap.parse_args(argv)
    if a.render:
        import json
        return render(json.loads((Path(a.results) / 'teacher_recipe.json').read_text()), Path(a.results))
    os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('MPLBACKEND', 'Agg')
    import torch
    from distilled_vit.core import get_config, parse_overrides
    from distilled_vit.rundir import RunDir, atomic_write_json, atomic_write_text
    from distilled_vit.data import prepare_data
    from distilled_vit.teacher import train_teacher
    from distilled_vit.distill import distill, train_student_nokd
    command = '.venv/bin/python benchmarks/teacher_recipe.py --preset ' + a.preset + ' --variant ' + ' '.join(
        shlex.quote(x) for x in a.variant)
    import shutil; shutil.rmtree(a.out, ignore_errors=True)       # resumed checkpoints would time reloads
    t_all = time.perf_counter()
    base = get_config(a.preset)
    base_run = RunDir(Path(a.out) / 'no-kd', base, check=False)
    data = prepare_data(base, base_run, progress=False)
    t0 = time.perf_counter(); _, nokd = train_student_nokd(base, base_run, data); nokd_s = time.perf_counter() - t0
    rows = []
    for spec in a.variant:
        name, sets = _parse_variant(spec)
        cfg = get_config(a.preset, **parse_overrides(sets))
        run = RunDir(Path(a.out) / name.replace('/', '').replace(', ', '_').replace(' ', '-'), cfg, check=False)
        print(f'--- {name}: {" ".join(sets) or "(preset)"}', flush=True)
        t0 = time.perf_counter(); teacher, tm = train_teacher(cfg, run, data); t_s = time.perf_counter() - t0
        t0 = time.perf_counter(); _, sm = distill(cfg, run, data, teacher); s_s = time.perf_counter() - t0
        rows.append(dict(name=name, overrides=sets, teacher_params=tm['params'], teacher=tm, student=sm,
                         teacher_s=round(t_s, 1), kd_s=round(s_s, 1)))
        print(f"teacher CCC V {tm['ccc_valence']:.3f} A {tm['ccc_arousal']:.3f} | KD student "
              f"V {sm['ccc_valence']:.3f} A {sm['ccc_arousal']:.3f} | no-KD V {nokd['ccc_valence']:.3f} "
              f"A {nokd['ccc_arousal']:.3f}", flush=True)
    res = dict(command=command, date=time.strftime('%Y-%m-%d'), preset=a.preset, wall_s=round(time.perf_counter() - t_all, 1),
               machine=dict(python=platform.python_version(), torch=torch.__version__, cpu_count=os.cpu_count(),
                            threads=base.num_threads), kd_epochs=base.kd_epochs, seed=base.seed,
               train_windows=data.info['train_windows'], timing_note=a.timing_note, nokd=nokd, nokd_s=round(nokd_s, 1), variants=rows)
    dst = Path(a.results)
    atomic_write_json(dst / 'teacher_recipe.json', res)
    render(res, dst)

def _mean(m): return m['ccc_mean']

def render(res, dst):
    "Write teacher_recipe.md from the results dict."
    from distilled_vit.rundir import atomic_write_text
    rows, nokd, nokd_s = res['variants'], res['nokd'], res['nokd_s']
    m = res['machine']
    L = ['# Teacher recipe: does distillation help?', '', f"Command: `{res['command']}`", '',
         f"({res['date']}; Python {m['python']}, torch {m['torch']}, {m['cpu_count']} CPU cores, {m['threads']} torch threads; "
         f"{res['wall_s'] / 60:.1f} min in all. {res.get('timing_note', '')})", '',
         f"`{res['preset']}` preset, {res['train_windows']} real training windows, seed {res['seed']}; every student is the "
         f"default MobileViTStudent trained {res['kd_epochs']} epochs. CCC on the real test split.", '',
         '| teacher | params | teacher s | teacher CCC V / A / mean | KD student CCC V / A / mean | KD − no-KD (mean CCC) | KD s |',
         '|---|---|---|---|---|---|---|']
    for r in rows:
        t, s = r['teacher'], r['student']
        L.append(f"| {r['name']} | {r['teacher_params'] / 1e6:.1f} M | {r['teacher_s']:.0f} | {t['ccc_valence']:.3f} / "
                 f"{t['ccc_arousal']:.3f} / {_mean(t):.3f} | {s['ccc_valence']:.3f} / {s['ccc_arousal']:.3f} / {_mean(s):.3f} | "
                 f"{_mean(s) - _mean(nokd):+.3f} | {r['kd_s']:.0f} |")
    L += [f"| no teacher (no-KD student) | — | — | — | {nokd['ccc_valence']:.3f} / {nokd['ccc_arousal']:.3f} / "
          f"{_mean(nokd):.3f} | 0 | {nokd_s:.0f} |", '']
    best = max(rows, key=lambda r: _mean(r['student']))
    d = _mean(best['student']) - _mean(nokd)
    say = ('helps' if d > 0.02 else 'hurts' if d < -0.02 else 'makes no clear difference')
    L += [f"**Verdict.** The best KD student learnt from the {best['name']} teacher ({_mean(best['student']):.3f} mean CCC, "
          f"{d:+.3f} against the no-KD student): with the best of these teachers distillation **{say}** (one seed; a "
          "difference under 0.02 mean CCC is read as no difference)."
          + (" Every teacher here scores below the no-KD student itself, so distillation pulls the student towards a "
             "worse model." if all(_mean(r['teacher']) < _mean(nokd) for r in rows) else ''), '']
    atomic_write_text(dst / 'teacher_recipe.md', '\n'.join(L))
    print('\n'.join(L))

if __name__ == '__main__':
    main()
