"""Write README.md from nbs/index.ipynb (what `nbdev_readme` does, without needing Quarto).

Hidden cells (`#| hide`) are dropped, code cells with `#| echo: false` show only their output; other code cells show
source and text output. The file is rewritten only when its content changes, atomically."""
import json, os, re, tempfile
from pathlib import Path

root = Path(__file__).resolve().parent.parent
nb = json.loads((root/'nbs'/'index.ipynb').read_text())
parts = []
for c in nb['cells']:
    src = ''.join(c['source'])
    directives = re.findall(r'^#\|\s*(.*)$', src, flags=re.M)
    if any(d.strip() in ('hide', 'exporti') or d.strip().startswith('hide') for d in directives): continue
    body = '\n'.join(l for l in src.split('\n') if not l.startswith('#|')).strip()
    if c['cell_type'] == 'markdown': parts.append(src.strip()); continue
    if 'echo: false' not in ' '.join(directives) and body: parts.append(f"```python\n{body}\n```")
    for o in c.get('outputs', []):
        text = ''.join(o.get('text', '')) or ''.join(o.get('data', {}).get('text/markdown', '')) \
               or ''.join(o.get('data', {}).get('text/plain', ''))
        if not text.strip(): continue
        parts.append(text.strip() if 'text/markdown' in o.get('data', {}) else f"```\n{text.rstrip()}\n```")
text = '<!-- generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file -->\n\n' \
       + '\n\n'.join(parts) + '\n'
dst = root/'README.md'
if not dst.exists() or dst.read_text() != text:
    fd, tmp = tempfile.mkstemp(dir=root, prefix='.README.', suffix='.tmp')
    with os.fdopen(fd, 'w') as f: f.write(text)
    os.replace(tmp, dst)
    print('README.md written')
