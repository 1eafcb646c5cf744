"""Does distillation's memory grow with the data? Peak resident memory of the distill stages at two data sizes (issue 38).

Writes benchmarks/results/distill_memory.json and .md. Regenerate with:

    .venv/bin/python benchmarks/distill_memory.py --work /tmp/distill_memory

What is measured, fixed before the run:
- per data size (`--sizes`, default `n_clips` 300 and 1200 of the embedded data, `cpu` preset), a run directory is first
  prepared with `distilled-vit distill` (data, corpus, teacher, students; not measured). The preset's shapes, models,
  batch size and transfer set (2,000 corpus windows), with one teacher and one student epoch (`--set teacher_epochs=1
  kd_epochs=1`): how much is held does not depend on the number of epochs, and four full trainings would take hours;
- then, in a fresh process, `distilled-vit distill --force student` redoes the KD student and the no-KD student on what
  the run directory holds: it reads the data (feature cache) and the teacher back, computes the teacher's targets for
  every window (labelled and corpus), trains both students and predicts the validation and test windows. That
  process's own peak resident set size (`getrusage(RUSAGE_SELF).ru_maxrss` as it exits: the largest it ever was,
  file-backed pages included) is the number reported, with the windows each size gives, and beside it the largest of
  its child processes (`RUSAGE_CHILDREN`: the workers it starts). The process runs in the work folder: `python -c`
  puts its working folder first on `sys.path`, so a first run started inside a checkout measured that checkout's code
  under both labels (found when they came out equal; the `before` label was rerun: the other had been started in its
  own checkout);
- `--label` names the code measured (the table shows one column per label; the code is the `distilled_vit` that Python
  imports, e.g. `PYTHONPATH=OTHER_CHECKOUT`, and its commit is recorded). Flat means the larger size's peak is within
  10 % of the smaller's.
Peak memory is not a timing: other work on the machine slows the run but does not change it.
"""
import argparse, json, os, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXED = ['teacher_epochs=1', 'kd_epochs=1']


# the process reports its own peak and its largest child's (ru_maxrss, kB) as it exits
LAUNCH = """import atexit, os, resource, sys
def _peaks():
    with open(os.environ['DV_PEAKS'], 'w') as f:
        print(*(resource.getrusage(w).ru_maxrss for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)), file=f)
atexit.register(_peaks)
from distilled_vit.cli import main; sys.exit(main())"""


def cli(args, env, work) -> tuple[float, float, float]:
    "Run `distilled-vit ARGS` in a fresh process: (its own peak RSS in MB, its largest child's, seconds)."
    t0, peaks = time.perf_counter(), work / 'peaks.txt'
    # run in `work`: `python -c` puts its working folder first on sys.path, before PYTHONPATH, so a checkout there
    # would be the code measured
    p = subprocess.run([sys.executable, '-c', LAUNCH, *args], env=dict(env, DV_PEAKS=str(peaks)), cwd=work,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode: sys.exit(f"distilled-vit {' '.join(args)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    own, child = (int(v) / 1024 for v in peaks.read_text().split())
    return own, child, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--work', required=True, help='run directories and feature cache (outside the repository)')
    ap.add_argument('--preset', default='cpu')
    ap.add_argument('--sizes', type=int, nargs='+', default=[300, 1200])
    ap.add_argument('--label', default='this code')
    ap.add_argument('--out', default=str(ROOT / 'benchmarks' / 'results' / 'distill_memory'))
    a = ap.parse_args()
    import distilled_vit
    code = Path(distilled_vit.__file__).resolve().parent.parent
    commit = subprocess.run(['git', '-C', str(code), 'rev-parse', '--short', 'HEAD'], capture_output=True,
                            text=True).stdout.strip()
    dirty = bool(subprocess.run(['git', '-C', str(code), 'status', '--porcelain', '--', 'distilled_vit'],
                                capture_output=True, text=True).stdout.strip())
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DISTILLED_VIT_CACHE=str(work / 'cache'), HF_HUB_OFFLINE='1', MPLBACKEND='Agg')
    rows = []
    for n in a.sizes:
        sets = ['--set', f'n_clips={n}', *FIXED]
        run = work / f'run_{n}'
        print(f"n_clips={n}: preparing {run} ...", flush=True)
        cli(['distill', '--preset', a.preset, '--out', str(run), *sets], env, work)
        peak, child, secs = cli(['distill', '--preset', a.preset, '--out', str(run), *sets, '--force', 'student'], env,
                                work)
        summary = json.loads((run / 'data' / 'summary.json').read_text())
        kd = json.loads((run / 'student' / 'metrics.json').read_text())
        rows.append(dict(n_clips=n, windows=summary['windows'], train_windows=summary['train_windows'],
                         transfer_windows=kd['transfer_windows'], peak_rss_mb=round(peak, 1),
                         child_peak_rss_mb=round(child, 1), seconds=round(secs, 1)))
        print(f"n_clips={n}: {rows[-1]}", flush=True)
    out = Path(a.out)
    res = json.loads(out.with_suffix('.json').read_text()) if out.with_suffix('.json').exists() else {}
    res.setdefault('runs', {})[a.label] = dict(
        rows=rows, code=str(code), commit=commit + ('+uncommitted' if dirty else ''), preset=a.preset,
        fixed=FIXED, date=time.strftime('%Y-%m-%d'),
        growth=round(rows[-1]['peak_rss_mb'] / rows[0]['peak_rss_mb'] - 1, 4),
        command=' '.join(['.venv/bin/python', 'benchmarks/distill_memory.py', '--work', 'WORK',
                          *(['--preset', a.preset] if a.preset != 'cpu' else []),
                          *(['--label', repr(a.label)] if a.label != 'this code' else []),
                          *(['--sizes', *map(str, a.sizes)] if a.sizes != [300, 1200] else [])]))
    out.with_suffix('.json').write_text(json.dumps(res, indent=1) + '\n')
    md = [f"# Distillation's peak memory against the data size, `{a.preset}` preset", '',
          "Peak resident memory of `distilled-vit distill --force student` (the KD and the no-KD student, teacher targets "
          "for every window, validation and test predictions) in a fresh process, on run directories prepared with "
          f"`--set {' '.join(FIXED)}` (see the script's docstring).", '']
    for label, r in res['runs'].items():
        md += [f"**{label}** (code at {r['commit']}, {r['date']}; `{r['command']}`): peak grows "
               f"**{100 * r['growth']:+.1f} %** from the smallest to the largest size.", '',
               '| n_clips | windows | train windows | transfer windows | peak RSS (MB) | its largest child (MB) | seconds |',
               '|---|---|---|---|---|---|---|']
        md += [f"| {x['n_clips']} | {x['windows']} | {x['train_windows']} | {x['transfer_windows']} | "
               f"{x['peak_rss_mb']:.0f} | {x.get('child_peak_rss_mb', float('nan')):.0f} | {x['seconds']:.0f} |"
               for x in r['rows']] + ['']
    out.with_suffix('.md').write_text('\n'.join(md))
    print('\n'.join(md))


if __name__ == '__main__':
    main()
