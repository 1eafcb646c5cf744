"""Write README.md from nbs/index.ipynb (what `nbdev_readme` does, without needing Quarto).

The notebook's code cells are executed (in nbs/, as Jupyter would) so that tables computed from committed benchmark
results are always current: the sync check reruns this script, so a README that disagrees with
benchmarks/results/*.json fails CI. Hidden cells (`#| hide`) run but are not shown; code cells with `#| echo: false`
show only their output; other code cells show source and text output. Links into `../` (the repository root seen
from nbs/) in markdown outputs of code cells are made root-relative, and links to a notebook (`NAME.ipynb`, a
page of the docs site) point into nbs/. The file is rewritten only when its content changes, atomically."""
import os, re, tempfile
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def _directives(src): return [d.strip() for d in re.findall(r'^#\|\s*(.*)$', src, flags=re.M)]

def main():
    from execnb.nbio import read_nb
    from execnb.shell import CaptureShell
    nb = read_nb(root / 'nbs' / 'index.ipynb')
    sh, cwd = CaptureShell(), os.getcwd()
    os.chdir(root / 'nbs')
    try:
        for c in nb.cells:
            if c.cell_type != 'code' or any(re.match(r'eval:\s*false', d) for d in _directives(c.source)): continue
            sh.cell(c)
            if sh.exc: raise SystemExit(f"nbs/index.ipynb: a code cell failed: {sh.exc!r}\n{c.source}")
    finally: os.chdir(cwd)
    parts = []
    for c in nb.cells:
        src, ds = c.source, _directives(c.source)
        if any(d == 'hide' or d.startswith('hide') or d == 'exporti' for d in ds): continue
        if c.cell_type == 'markdown': parts.append(src.strip()); continue
        body = '\n'.join(l for l in src.split('\n') if not l.startswith('#|')).strip()
        if 'echo: false' not in ' '.join(ds) and body: parts.append(f"```python\n{body}\n```")
        for o in c.get('outputs', []):
            data = o.get('data', {})
            md = ''.join(data.get('text/markdown', ''))
            text = md or ''.join(o.get('text', '')) or ''.join(data.get('text/plain', ''))
            if not text.strip(): continue
            parts.append(md.strip().replace('](../', '](') if md else f"```\n{text.rstrip()}\n```")
    body = re.sub(r'\]\(([\w.-]+\.ipynb)\)', r'](nbs/\1)', '\n\n'.join(parts))   # links to notebooks, from the root
    text = '<!-- generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file -->\n\n' \
           + body + '\n'
    dst = root / 'README.md'
    if not dst.exists() or dst.read_text() != text:
        fd, tmp = tempfile.mkstemp(dir=root, prefix='.README.', suffix='.tmp')
        with os.fdopen(fd, 'w') as f: f.write(text)
        os.replace(tmp, dst)
        print('README.md written')

if __name__ == '__main__':
    main()
