"""Light outputs for the committed notebooks, so GitHub and any notebook viewer show each notebook's figures and short
tables: copy the outputs of an executed copy of nbs/ (tools/exec_nbs.py, smoke sizes, as the docs site shows them)
into nbs/, cell by cell, keeping only what is light.

    mkdir _exec && cp -r nbs/* _exec && python tools/exec_nbs.py _exec && python tools/notebook_outputs.py _exec

Light means: a figure (PNG) of at most `MAX_PNG` bytes, text of at most `MAX_LINES` lines (longer text keeps its head
and says how many lines were cut), an HTML table of at most `MAX_HTML` characters; stderr (progress bars, warnings)
and anything else (widgets, JavaScript) are dropped. Carriage-return progress lines keep their last state. A notebook
whose code differs from its executed copy's (edited since; re-wrapped lines and moved comments do not count) is left as it is and named. Source and metadata are never
touched: `nbdev_clean` keeps outputs (`clear_all = False` in settings.ini) and the library does not depend on them.
"""
import ast, base64, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_PNG, MAX_LINES, MAX_HTML = 150_000, 40, 20_000
ANSI = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]')


def _text(t) -> str:
    "Joined text with ANSI codes removed and each carriage-return-overwritten line at its last state."
    t = ANSI.sub('', ''.join(t) if isinstance(t, list) else t)
    return '\n'.join(l.rsplit('\r', 1)[-1] for l in t.split('\n'))


def _cut(t: str) -> str:
    lines = t.split('\n')
    if len(lines) <= MAX_LINES: return t
    return '\n'.join(lines[:MAX_LINES]) + f'\n… ({len(lines) - MAX_LINES} more lines in the executed notebook)\n'


def _lines(t: str) -> list: return t.splitlines(keepends=True)


def light(outputs: list) -> list:
    "The light part of a code cell's outputs (see the module docstring)."
    out = []
    for o in outputs:
        kind = o.get('output_type')
        if kind == 'stream':
            if o.get('name') != 'stdout': continue
            t = _cut(_text(o['text']))
            if t.strip(): out.append(dict(output_type='stream', name='stdout', text=_lines(t)))
        elif kind in ('display_data', 'execute_result'):
            d, keep = o.get('data', {}), {}
            png = d.get('image/png')
            if png and len(base64.b64decode(''.join(png) if isinstance(png, list) else png)) <= MAX_PNG:
                keep['image/png'] = ''.join(png) if isinstance(png, list) else png
            html = d.get('text/html')
            if html and len(''.join(html)) <= MAX_HTML: keep['text/html'] = _lines(''.join(html))
            md = d.get('text/markdown')
            if md and len(''.join(md)) <= MAX_HTML: keep['text/markdown'] = _lines(''.join(md))
            if 'text/plain' in d: keep['text/plain'] = _lines(_cut(_text(d['text/plain'])))
            if set(keep) - {'text/plain'} or (keep and not png and not html):
                r = dict(output_type=kind, data=keep, metadata={})
                if kind == 'execute_result': r['execution_count'] = None
                out.append(r)
    return out


class _Norm(ast.NodeTransformer):
    "What formatting may change, made equal: imports dropped, whitespace in strings collapsed."
    def visit_Import(self, node): return None
    visit_ImportFrom = visit_Import
    def visit_Constant(self, node):
        if isinstance(node.value, str): node.value = ' '.join(node.value.split())
        return node


def _code(cell) -> str:
    """What a cell computes: its syntax tree without imports and with strings' whitespace collapsed (so rewrapped
    lines, split imports and moved comments still match), or its text when it does not parse."""
    src = ''.join(cell['source'])
    try: return ast.dump(_Norm().visit(ast.parse(src)))
    except SyntaxError: return src


def transfer(src: Path, dst: Path, loose: int = 0) -> tuple[bool, list]:
    """Light outputs of executed `src` into `dst` when their code cells match one for one (up to `loose` cells whose
    code differs are paired by position all the same; they are returned); (whether it did, the loose cells)."""
    a, b = json.loads(src.read_text()), json.loads(dst.read_text())
    code = lambda nb: [c for c in nb['cells'] if c['cell_type'] == 'code']
    ca, cb = code(a), code(b)
    if len(ca) != len(cb): return False, []
    odd = [i for i, (x, y) in enumerate(zip(ca, cb)) if _code(x) != _code(y)]
    if len(odd) > loose: return False, odd
    for x, y in zip(ca, cb): y['outputs'] = light(x.get('outputs', []))
    tmp = dst.with_suffix('.tmp')
    tmp.write_text(json.dumps(b, indent=1, ensure_ascii=False) + '\n'); tmp.replace(dst)
    return True, odd


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('executed', help='folder of executed copies of the notebooks (tools/exec_nbs.py)')
    ap.add_argument('--loose', type=int, default=0,
                    help='pair up to this many code cells per notebook by position although their code differs')
    a = ap.parse_args()
    done, skipped = [], []
    for nb in sorted((ROOT / 'nbs').glob('*.ipynb')):
        ex = Path(a.executed) / nb.name
        if not ex.is_file(): skipped.append(f'{nb.name} (not executed)'); continue
        ok, odd = transfer(ex, nb, a.loose)
        if ok: done.append(nb.name + (f' (code cells {odd} paired by position)' if odd else ''))
        else: skipped.append(f'{nb.name} (its code differs from the executed copy: code cells {odd or "count"})')
    print(f"notebook outputs: {len(done)} notebooks given their light outputs: {', '.join(done)}"
          + (f"; left as they are: {', '.join(skipped)}" if skipped else ''))


if __name__ == '__main__':
    main()
