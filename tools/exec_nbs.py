"""Execute notebooks the way `nbdev_test` does (IN_TEST set, `#| eval: false` and `#| slow` cells skipped, a fresh
process per notebook) and save their outputs, so the documentation site shows figures and tables. Used by
tools/docs.sh on a copy of nbs/; the committed notebooks stay output-free.

    python tools/exec_nbs.py DIR   # executes every DIR/*.ipynb in place; exits non-zero naming the failing notebook
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

def main(folder: str):
    for fn in sorted(Path(folder).resolve().glob('*.ipynb')):
        t0 = time.time()
        if subprocess.run([sys.executable, __file__, '--one', str(fn)]).returncode: sys.exit(f'{fn.name}: execution failed')
        print(f'{fn.name}: executed in {time.time() - t0:.1f}s', flush=True)

if __name__ == '__main__':
    if len(sys.argv) > 2 and sys.argv[1] == '--one': run_one(Path(sys.argv[2]))
    else: main(sys.argv[1] if len(sys.argv) > 1 else 'nbs')
