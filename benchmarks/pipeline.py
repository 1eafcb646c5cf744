"""Whole-pipeline benchmark: `distilled-vit run` on a preset (default cpu) from an empty feature cache, timed per stage.

Writes benchmarks/results/pipeline_<preset>.json, .md (the results table shown in the README) and the run's
prediction and retention figures as pipeline_<preset>_*.png. Regenerate with:

    .venv/bin/python benchmarks/pipeline.py --preset cpu

`--warm` times a second run instead: the pipeline runs twice with one (initially empty) cache, the second time into a
fresh run directory, so it finds the features, the corpus and the teacher in the caches the first run filled, as a
second `make run` after `rm -rf runs` would; both wall times go to pipeline_<preset>_warm.json/.md.
"""
import argparse, json, os, platform, shutil, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--preset', default='cpu')
    ap.add_argument('--out', default=None, help='run directory (default: a fresh temporary one)')
    ap.add_argument('--set', nargs='*', default=[], help='config overrides key=value (as the CLI)')
    ap.add_argument('--name', default=None, help='results file stem (default pipeline_PRESET; give one with --set)')
    ap.add_argument('--warm', action='store_true', help='time a second run on the caches a first one filled')
    a = ap.parse_args()
    if a.set and not a.name: ap.error('--set needs --name: pipeline_PRESET.json is the README\'s source for the plain preset')
    os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('MPLBACKEND', 'Agg')
    tmp = Path(tempfile.mkdtemp(prefix='dvit-bench-'))
    os.environ['DISTILLED_VIT_CACHE'] = str(tmp / 'cache')          # cold cache: data time included
    import torch
    from distilled_vit.core import get_config, parse_overrides
    from distilled_vit.rundir import atomic_write_json, atomic_write_text, atomic_path
    from distilled_vit.cli import run_pipeline
    from distilled_vit.evaluate import summary_table
    cfg = get_config(a.preset, **parse_overrides(a.set))
    stem = a.name or f'pipeline_{a.preset}' + ('_warm' if a.warm else '')
    sets = (' --set ' + ' '.join(a.set) if a.set else '') + (f' --name {a.name}' if a.name else '') + (' --warm' if a.warm else '')
    out = Path(a.out) if a.out else tmp / 'run'
    first = None
    if a.warm:                                                      # the first run fills the caches
        t0 = time.perf_counter(); r0 = run_pipeline(cfg, tmp / 'first-run')
        first = dict(wall_s=round(time.perf_counter() - t0, 1), timings_s=r0.get('timings_s'))
    t0 = time.perf_counter()
    report = run_pipeline(cfg, out)
    wall = time.perf_counter() - t0
    machine = dict(python=platform.python_version(), torch=torch.__version__, cpu_count=os.cpu_count(),
                   threads=cfg.num_threads, processor=platform.processor() or platform.machine())
    res = dict(preset=a.preset, config=cfg.to_dict(), wall_s=round(wall, 1), timings_s=report.get('timings_s'), machine=machine,
               command=f'.venv/bin/python benchmarks/pipeline.py --preset {a.preset}{sets}',
               date=time.strftime('%Y-%m-%d'), report=report, **(dict(first_run=first) if first else {}))
    dst = ROOT / 'benchmarks' / 'results'
    atomic_write_json(dst / f'{stem}.json', res)
    lines = [f'# Whole pipeline, `{a.preset}` preset' + (f" with {', '.join(a.set)}" if a.set else ''), '',
             f'Command: `{res["command"]}` ({res["date"]}; Python {machine["python"]}, torch {machine["torch"]}, '
             f'{machine["cpu_count"]} CPU cores, {cfg.num_threads} torch threads, '
             + ('caches filled by a first run of the same command' if first else 'cold feature cache') + ').', '']
    if first:
        ft = first['timings_s'] or {}
        lines += [f'Wall time: first run (empty caches) **{first["wall_s"] / 60:.1f} min**, second run (fresh run directory, '
                  f'the caches the first filled) **{wall / 60:.1f} min**', '', '| stage | first run, s | second run, s |', '|---|---|---|']
        lines += [f'| {k} | {ft.get(k, float("nan")):.1f} | {v:.1f} |' for k, v in (report.get('timings_s') or {}).items()]
        lines += ['', 'Restored from the stage cache in the second run: '
                  + (', '.join(f"{k} (trained in {c['seconds']:.0f} s by the first)" for k, c in report.get('stage_cache', {}).items()) or 'nothing') + '.']
    else:
        lines += [f'Wall time: **{wall / 60:.1f} min**', '', '| stage | seconds |', '|---|---|']
        lines += [f'| {k} | {v:.1f} |' for k, v in (report.get('timings_s') or {}).items()]
    lines += ['', '```', summary_table(report), '```', '']
    for fig in ('predictions', 'retention') if not first else ():     # the README's figure, from this very run
        src = out / 'evaluate' / f'{fig}.png'
        if src.exists():
            with atomic_path(dst / f'{stem}_{fig}.png') as tmp_png: shutil.copyfile(src, tmp_png)
            lines.append(f'![{fig}]({stem}_{fig}.png)')
    lines.append('')
    atomic_write_text(dst / f'{stem}.md', '\n'.join(lines))
    print('\n'.join(lines))
    if not a.out: shutil.rmtree(tmp, ignore_errors=True)

if __name__ == '__main__':
    main()
