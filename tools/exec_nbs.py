"""Execute notebooks the way `nbdev_test` does (IN_TEST set, `#| eval: false` and `#| slow` cells skipped, a fresh
process per notebook) and save their outputs, so the documentation site shows figures and tables. Used by
tools/docs.sh on a copy of nbs/; tools/notebook_outputs.py copies the light part back into nbs/ for GitHub.

    python tools/exec_nbs.py DIR   # executes every DIR/*.ipynb in place; exits non-zero naming the failing notebook
    DOCS_JOBS=1 python tools/exec_nbs.py DIR   # one at a time (default: one per CPU core)

On Linux each notebook's process is forked from this one after it imported the heavy libraries every notebook uses
(`PRELOAD`): a fresh process per notebook all the same (its own namespace, working directory and environment), without
importing torch, timm, librosa, ... again in each (~8 s of CPU a notebook).
"""
import os, re, subprocess, sys, time
from pathlib import Path

SKIP_FLAGS = {'slow'}
# imported once by the parent; none of them starts a thread pool on import (a forked child must not inherit a started
# OpenMP pool: nothing here runs torch). Not the package itself, nor anything a notebook checks is absent (01c_musicnn:
# musicnn, tensorflow)
PRELOAD = ('numpy', 'pandas', 'scipy.signal', 'soundfile', 'matplotlib.pyplot', 'torch', 'timm', 'librosa', 'onnxruntime',
           'librosa.core.audio', 'librosa.core.pitch', 'librosa.util.utils', 'librosa.feature', 'safetensors.torch',
           'tqdm.auto', 'fastcore.test', 'nbdev.showdoc', 'execnb.shell')

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

class _Spawned:
    "A notebook run in `python exec_nbs.py --one FN` (where fork is not available), with a `Process`'s exitcode and kill."
    def __init__(self, fn: Path): self.p = subprocess.Popen([sys.executable, __file__, '--one', str(fn)])
    @property
    def exitcode(self): return self.p.poll()
    def kill(self): self.p.kill()

def _starter():
    """How a notebook's process starts: forked from this one once `PRELOAD` is imported (Linux), else a new interpreter."""
    import multiprocessing as mp
    if 'fork' not in mp.get_all_start_methods(): return _Spawned
    import importlib
    os.environ['IN_TEST'] = '1'            # as in the child, before anything reads it at import
    for m in PRELOAD: importlib.import_module(m)
    def start(fn: Path):
        p = mp.get_context('fork').Process(target=run_one, args=(fn,)); p.start(); return p
    return start

def main(folder: str, jobs: int):
    """Execute every notebook of `folder`, `jobs` at a time (each in its own process: a notebook is mostly one core of
    Python and imports, so two side by side use a 2-core machine fully); stops at the first failure, naming it."""
    fns = sorted(Path(folder).resolve().glob('*.ipynb'), key=lambda f: -f.stat().st_size)   # big (slow) ones first
    if jobs > 1:   # librosa's numba kernels compile on first import (~33 s) unless NUMBA_CACHE_DIR has them: compile them
        # once here, not in every notebook that starts before the first one has written the cache (~4 s when cached)
        subprocess.run([sys.executable, '-c', 'import librosa.core.audio, librosa.core.pitch, librosa.util.utils'], check=True)
    start = _starter()
    running, failed = {}, None
    while (fns or running) and not failed:
        while fns and len(running) < jobs:
            fn = fns.pop(0); running[fn] = (start(fn), time.time())
        time.sleep(0.2)
        for fn, (proc, t0) in list(running.items()):
            if proc.exitcode is None: continue
            del running[fn]
            if proc.exitcode: failed = fn; break
            print(f'{fn.name}: executed in {time.time() - t0:.1f}s', flush=True)
    for proc, _ in running.values(): proc.kill()
    if failed: sys.exit(f'{failed.name}: execution failed')

if __name__ == '__main__':
    if len(sys.argv) > 2 and sys.argv[1] == '--one': run_one(Path(sys.argv[2]))
    else: main(sys.argv[1] if len(sys.argv) > 1 else 'nbs', int(os.environ.get('DOCS_JOBS', 0)) or len(os.sched_getaffinity(0)))
