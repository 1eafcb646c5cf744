"""Execute notebooks the way `nbdev_test` does (IN_TEST set, `#| eval: false` and `#| slow` cells skipped, a fresh
process per notebook) and save their outputs, so the documentation site shows figures and tables. Used by
tools/docs.sh on a copy of nbs/; the committed notebooks stay output-free.

    python tools/exec_nbs.py DIR   # executes every DIR/*.ipynb in place; exits non-zero naming the failing notebook
    DOCS_JOBS=1 python tools/exec_nbs.py DIR   # one at a time (default: one per CPU core)
"""
import os, re, subprocess, sys, time
from pathlib import Path

SKIP_FLAGS = {'slow'}

def _skip(cell) -> bool:
    if cell.cell_type != 'code': return True
    d = {m.group(1).strip().rstrip(':').lower(): m.group(2).strip().lower()
         for m in re.finditer(r'^#\|\s*([\w-]+:?)\s*(.*)$', cell.source, flags=re.M)}
    return d.get('eval') == 'false' or bool(SKIP_FLAGS & d.keys())

def run_one(fn: Path):
    "Execute `fn` in this process and write it back with its outputs (stderr streams dropped)."
    os.environ['IN_TEST'] = '1'
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    nb, sh = read_nb(fn), CaptureShell(fn)
    os.chdir(fn.parent)
    try: sh.run_all(nb, exc_stop=True, preproc=_skip)
    except Exception:
        sys.stderr.write(f"{fn.name}: execution failed\n{sh.prettytb(fname=fn)}\n"); sys.exit(1)
    for c in nb.cells:              # progress bars on stderr are noise on a web page
        if c.cell_type == 'code': c.outputs = [o for o in c.get('outputs', []) if o.get('name') != 'stderr']
    write_nb(nb, fn)

def main(folder: str, jobs: int):
    """Execute every notebook of `folder`, `jobs` at a time (each in its own process: a notebook is mostly one core of
    Python and imports, so two side by side use a 2-core machine fully); stops at the first failure, naming it."""
    fns = sorted(Path(folder).resolve().glob('*.ipynb'), key=lambda f: -f.stat().st_size)   # big (slow) ones first
    if jobs > 1:   # librosa's numba kernels compile on first import (~33 s) unless NUMBA_CACHE_DIR has them: compile them
        # once here, not in every notebook that starts before the first one has written the cache (~4 s when cached)
        subprocess.run([sys.executable, '-c', 'import librosa.core.audio, librosa.core.pitch, librosa.util.utils'], check=True)
    running, failed = {}, None
    while (fns or running) and not failed:
        while fns and len(running) < jobs:
            fn = fns.pop(0); running[fn] = (subprocess.Popen([sys.executable, __file__, '--one', str(fn)]), time.time())
        time.sleep(0.2)
        for fn, (proc, t0) in list(running.items()):
            if proc.poll() is None: continue
            del running[fn]
            if proc.returncode: failed = fn; break
            print(f'{fn.name}: executed in {time.time() - t0:.1f}s', flush=True)
    for proc, _ in running.values(): proc.kill()
    if failed: sys.exit(f'{failed.name}: execution failed')

if __name__ == '__main__':
    if len(sys.argv) > 2 and sys.argv[1] == '--one': run_one(Path(sys.argv[2]))
    else: main(sys.argv[1] if len(sys.argv) > 1 else 'nbs', int(os.environ.get('DOCS_JOBS', 0)) or len(os.sched_getaffinity(0)))
