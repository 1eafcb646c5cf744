"""The narrative notebook nbs/distilled_vit.ipynb, executed top to bottom in a fresh kernel per preset, timed per cell,
and its numbers compared with `make run`'s: `distilled-vit run` of the same preset and code, run here after the
notebook in a fresh process (stage cache off, as in the notebook; it changes no number). The committed pipeline
benchmark (benchmarks/results/pipeline_PRESET.json) is compared too, to say how far it is behind today's code.

Writes benchmarks/results/narrative.md and .json (the per-cell times shown on the docs page `13_notebook_guide`).
Regenerate with:

    .venv/bin/python benchmarks/narrative.py --presets smoke cpu
    .venv/bin/python benchmarks/narrative.py --presets smoke --update   # smoke again; the other presets kept as they are
"""
import argparse, json, os, platform, shutil, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NB = ROOT / 'nbs' / 'distilled_vit.ipynb'
MODELS = ('teacher', 'student', 'student_nokd', 'baseline')
KEYS = ('ccc_valence', 'ccc_arousal', 'mae_valence', 'mae_arousal')

def run_one(preset: str, dst: Path):
    "Execute the notebook with `preset` (in this process: call it in a fresh one) and write per-cell times to `dst`."
    os.environ.pop('IN_TEST', None); os.environ['DISTILLED_VIT_PRESET'] = preset
    from execnb.nbio import read_nb
    from execnb.shell import CaptureShell
    run_dir = NB.parent / 'runs' / f'notebook-{preset}'
    shutil.rmtree(run_dir, ignore_errors=True)
    nb, sh, times, t = read_nb(NB), CaptureShell(NB), [], [0.0]
    def pre(c): t[0] = time.perf_counter(); return False
    def post(c): times.append(round(time.perf_counter() - t[0], 2) if c.cell_type == 'code' else 0.0)
    os.chdir(NB.parent)
    t0 = time.perf_counter()
    try: sh.run_all(nb, exc_stop=True, preproc=pre, postproc=post)
    except Exception: sys.stderr.write(sh.prettytb(fname=NB) + '\n'); raise
    cells = [dict(type=c.cell_type, first_line=next((l for l in c.source.splitlines() if l.strip()), ''), seconds=s)
             for c, s in zip(nb.cells, times)]
    dst.write_text(json.dumps(dict(preset=preset, wall_s=round(time.perf_counter() - t0, 1), cells=cells,
                                   report=json.loads((run_dir / 'report.json').read_text()))))

def run_make(preset: str, dst: Path):
    "`make run` of `preset` into a temporary folder (in this process: call it in a fresh one); its report's CCC/MAE to `dst`."
    sys.path.insert(0, str(ROOT))
    import tempfile
    from distilled_vit.core import get_config
    from distilled_vit.cli import run_pipeline
    t0 = time.perf_counter()
    rep = run_pipeline(get_config(preset, stage_cache=False), Path(tempfile.mkdtemp(prefix='dvit-narrative-')) / 'run', progress=False)
    dst.write_text(json.dumps(dict(preset=preset, wall_s=round(time.perf_counter() - t0, 1), timings_s=rep['timings_s'],
                                   report={m: {k: rep[m][k] for k in KEYS} for m in MODELS})))

def _diffs(a: dict, b: dict) -> dict:
    d = {f'{m}.{k}': abs(a[m][k] - b[m][k]) for m in MODELS for k in KEYS}
    return dict(max_abs_diff=max(d.values()), worst=max(d, key=d.get))

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--presets', nargs='+', default=['smoke', 'cpu'])
    ap.add_argument('--reuse', action='store_true', help="reuse each preset's notebook run kept in runs/narrative-PRESET.json "
                                                          "(e.g. after refreshing a stale pipeline reference) instead of executing it again")
    ap.add_argument('--make-from', default=None, metavar='RUN_DIR',
                    help="use this finished `make run` of the same code and preset as the reference instead of running it "
                         "again (e.g. benchmarks/pipeline.py --out RUN_DIR, run alone just before: the same seeds, the "
                         "same numbers; the report says which run it was); only with one preset besides smoke")
    ap.add_argument('--update', action='store_true',
                    help='keep the presets of the committed narrative.json not named in --presets (each entry says '
                         'which command and date measured it)')
    ap.add_argument('--one', default=None, help=argparse.SUPPRESS)
    ap.add_argument('--make', default=None, help=argparse.SUPPRESS)
    ap.add_argument('--dst', default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('MPLBACKEND', 'Agg')
    if a.one: return run_one(a.one, Path(a.dst))
    if a.make: return run_make(a.make, Path(a.dst))
    import torch
    sys.path.insert(0, str(ROOT))
    from distilled_vit.rundir import atomic_write_json, atomic_write_text
    from distilled_vit.core import get_config
    res = dict(command='.venv/bin/python benchmarks/narrative.py --presets ' + ' '.join(a.presets)
               + (f' --make-from {Path(a.make_from).name}' if a.make_from else '') + (' --update' if a.update else ''),
               date=time.strftime('%Y-%m-%d'),
               machine=dict(python=platform.python_version(), torch=torch.__version__, cpu_count=os.cpu_count()), presets={})
    dst = ROOT / 'benchmarks' / 'results'
    if a.update and (dst / 'narrative.json').exists():          # the presets not rerun, as they were measured
        old = json.loads((dst / 'narrative.json').read_text())
        for p, r in old['presets'].items():
            if p not in a.presets: res['presets'][p] = dict(r, command=r.get('command', old['command']),
                                                            date=r.get('date', old['date']))
    for p in a.presets:
        tmp = ROOT / 'runs' / f'narrative-{p}.json'; tmp.parent.mkdir(exist_ok=True)
        if not (a.reuse and tmp.exists()): subprocess.run([sys.executable, __file__, '--one', p, '--dst', str(tmp)], check=True)
        r = json.loads(tmp.read_text())
        mk = ROOT / 'runs' / f'narrative-{p}-make-run.json'            # make run of the same code, after the notebook
        ref = f'distilled-vit run --preset {p} (same code, run by this script)'
        if a.make_from and p != 'smoke':                               # a finished make run of the same code and preset
            rd = Path(a.make_from); rep = json.loads((rd / 'report.json').read_text())
            assert json.loads((rd / 'config.json').read_text()) == get_config(p).to_dict(), f'{rd} is not a {p} run of today'
            mk.write_text(json.dumps(dict(preset=p, wall_s=None, timings_s=rep['timings_s'],
                                          report={m: {k: rep[m][k] for k in KEYS} for m in MODELS})))
            ref = f'distilled-vit run --preset {p} (same code: the run of benchmarks/pipeline.py --out {rd.name}, alone just before)'
        elif not (a.reuse and mk.exists()): subprocess.run([sys.executable, __file__, '--make', p, '--dst', str(mk)], check=True)
        made = json.loads(mk.read_text())['report']
        r['parity'] = dict(reference=ref, **_diffs(r['report'], made),
                           notebook={m: {k: r['report'][m][k] for k in KEYS} for m in MODELS}, make_run=made)
        r['make_run_timings_s'] = json.loads(mk.read_text())['timings_s']
        r['config'] = get_config(p).to_dict()             # the preset measured (the guide checks it is the preset of today)
        bench = ROOT / 'benchmarks' / 'results' / f'pipeline_{p}.json'
        if bench.exists():                               # how far the committed pipeline benchmark is behind today's code
            b = json.loads(bench.read_text())
            r['committed_pipeline'] = dict(path=str(bench.relative_to(ROOT)), date=b.get('date'), **_diffs(made, b['report']))
        del r['report']
        res['presets'][p] = dict(r, command=res['command'], date=res['date'])
    res['presets'] = {p: res['presets'][p] for p in sorted(res['presets'], key=['smoke', 'cpu', 'paper'].index)}
    atomic_write_json(dst / 'narrative.json', res)
    ps = list(res['presets'])
    L = ['# The narrative notebook, cell by cell', '', f"Command: `{res['command']}` ({res['date']}; Python "
         f"{res['machine']['python']}, torch {res['machine']['torch']}, {res['machine']['cpu_count']} CPU cores; "
         'fresh kernel per preset, warm feature cache).', '',
         '| cell | type | first line | ' + ' | '.join(f'{p} s' for p in ps) + ' |', '|---|---|---|' + '---|' * len(ps)]
    first = res['presets'][ps[0]]['cells']
    for i, c in enumerate(first):
        fl = c['first_line'].replace('|', '\\|')[:70]
        L.append(f"| {i + 1} | {c['type']} | `{fl}` | " + ' | '.join(
            f"{res['presets'][p]['cells'][i]['seconds']:.1f}" if c['type'] == 'code' else '' for p in ps) + ' |')
    L.append('| | | **total** | ' + ' | '.join(f"**{res['presets'][p]['wall_s']:.0f}**" for p in ps) + ' |')
    L.append('')
    for p in ps:
        if res['presets'][p]['command'] != res['command']:
            L.append(f"- `{p}` kept from `{res['presets'][p]['command']}` ({res['presets'][p]['date']}).")
        par = res['presets'][p].get('parity')
        if par: L.append(f"- `{p}`: largest difference between the notebook's and `make run`'s CCC/MAE (teacher, students, "
                         f"ridge): **{par['max_abs_diff']:.2g}**" + (f" ({par['worst']})" if par['max_abs_diff'] > 0 else '')
                         + f", reference `{par['reference']}`.")
        cp = res['presets'][p].get('committed_pipeline')
        if cp: L.append(f"  The committed pipeline benchmark `{cp['path']}` ({cp['date']}) differs from today's `make run` by at most "
                        f"{cp['max_abs_diff']:.2g}" + (f" ({cp['worst']}): it predates later commits; its numbers are the README's"
                                                        if cp['max_abs_diff'] > 0 else ''))
    L.append('')
    atomic_write_text(dst / 'narrative.md', '\n'.join(L))
    print('\n'.join(L))

if __name__ == '__main__':
    main()
