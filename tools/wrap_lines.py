"""Wrap notebook code lines longer than 100 characters, so the docs site shows code without a sideways scroll.

Only what is too long changes; every other line stays byte-identical:
- a comment line over 100 characters is re-wrapped at 100 (`#|` directive lines are left alone);
- an inline comment that pushes its line over 100 moves onto its own line(s) above the code, same indentation
  (a `# noqa`/`# type:` pragma stays inline, its padding shortened to two spaces);
- a statement with a code line over 100 is formatted by ruff (`ruff format --range`, line length 100, quotes
  preserved) on that logical line alone;
- a docstring text line over 100 is re-wrapped (a one-line docstring becomes a triple-quoted one); the summary line
  of a multi-line docstring (CLI help uses it) and every other string ruff cannot split are left and counted.
Each changed cell must parse to the same AST as before (docstrings compared with their whitespace collapsed), or
nothing is written. Cells with IPython magics or shell lines (`%`, `!`) are skipped.

Then the rows of `tools/mutation_check.py` whose code text no longer matches the reformatted cells are remapped: the
mutation is applied to the cell before formatting, both versions are formatted the same way, and the changed lines
become the row's new (original, mutated) pair. Rows whose text still matches stay byte-identical.

    .venv/bin/python tools/wrap_lines.py            # rewrite nbs/*.ipynb and tools/mutation_check.py
    .venv/bin/python tools/wrap_lines.py --check    # list the code lines over 100; exit 1 if any (changes nothing)

Afterwards: `nbdev_clean && nbdev_export && python tools/make_readme.py`. Deterministic and idempotent; the result
depends on the ruff version, pinned in `RUFF_VERSION`.
"""
import argparse, ast, io, json, os, re, shutil, subprocess, sys, tempfile, textwrap, tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 100
RUFF_VERSION = '0.17.6'
RUFF_CONFIG = ['--isolated', '--line-length', str(LIMIT), '--config', "format.quote-style = 'preserve'",
               '--config', "target-version = 'py310'"]
PRAGMA = re.compile(r'#\s*(noqa|type:|fmt:|pragma)\b')
MAGIC = re.compile(r'^\s*[%!]', re.M)


class Refused(Exception): "A cell could not be reformatted safely (left as it was, reported)."


# --- reading and writing notebooks the way nbdev does (execnb.nbio.nb2str)
def cell_source(cell) -> str: return ''.join(cell['source'])


def set_source(cell, src: str): cell['source'] = src.splitlines(keepends=True)


def write_nb(nb: dict, path: Path):
    "Write `nb` like nbdev_clean does, atomically (a temporary file in the same folder, then a rename)."
    text = json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + '\n'
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f: f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True); raise


def notebooks(root: Path) -> list[Path]: return sorted((root / 'nbs').glob('*.ipynb'))


# --- what is too long
def _tokens(src: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(src).readline))


def _multiline_string_lines(toks) -> dict[int, tokenize.TokenInfo]:
    "1-based line -> the string token spanning several lines that covers it."
    out = {}
    for t in toks:
        if t.type == tokenize.STRING and t.end[0] > t.start[0]:
            for r in range(t.start[0], t.end[0] + 1): out[r] = t
    return out


def long_lines(src: str) -> list[tuple[int, str, str]]:
    "(1-based line, kind, text) of every line over `LIMIT`; kind: directive, comment, string, code."
    lines = src.split('\n')
    if not any(len(l) > LIMIT for l in lines): return []
    try: toks = _tokens(src); strs = _multiline_string_lines(toks)
    except (tokenize.TokenError, SyntaxError, IndentationError): toks, strs = [], {}
    out = []
    for i, l in enumerate(lines, 1):
        if len(l) <= LIMIT: continue
        s = l.strip()
        kind = ('directive' if s.startswith('#|') else 'comment' if s.startswith('#') and i not in strs
                else 'string' if i in strs else 'code')
        out.append((i, kind, l))
    return out


# --- the AST a change must keep
def _norm_doc(s: str) -> str: return ' '.join(s.split())


def _merge_imports(tree):
    "Adjacent `from M import ...` of the same module as one (`split_import` writes one as several)."
    for n in ast.walk(tree):
        for f in ('body', 'orelse', 'finalbody'):
            body = getattr(n, f, None)
            if not isinstance(body, list) or not body or not isinstance(body[0], ast.stmt): continue
            out = []
            for st in body:
                if (out and isinstance(st, ast.ImportFrom) and isinstance(out[-1], ast.ImportFrom)
                        and (st.module, st.level) == (out[-1].module, out[-1].level)):
                    out[-1].names = out[-1].names + st.names
                else: out.append(st)
            setattr(n, f, out)


def ast_key(src: str) -> str:
    """The cell's AST without positions; docstrings with their whitespace collapsed (re-wrapping them changes only
    that), and adjacent imports from one module merged."""
    tree = ast.parse(src)
    _merge_imports(tree)
    for n in ast.walk(tree):
        if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.body:
            d = n.body[0]
            if isinstance(d, ast.Expr) and isinstance(d.value, ast.Constant) and isinstance(d.value.value, str):
                d.value.value = _norm_doc(d.value.value)
    return ast.dump(tree, include_attributes=False)


def _docstrings(tree) -> dict[int, ast.Constant]:
    "First line -> docstring node, for the module and every def/class."
    out = {}
    for n in ast.walk(tree):
        if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.body:
            d = n.body[0]
            if isinstance(d, ast.Expr) and isinstance(d.value, ast.Constant) and isinstance(d.value.value, str):
                out[d.lineno] = d
    return out


# --- comments
def wrap_comment(indent: str, comment: str) -> list[str]:
    "`indent + comment` as lines of at most `LIMIT` characters (a word longer than that stays whole)."
    if len(indent + comment) <= LIMIT: return [indent + comment]
    m = re.match(r'#+[ \t]*', comment)
    marker, text = m.group(0), comment[m.end():]
    cont = indent + marker.rstrip() + ' '
    return textwrap.wrap(text, width=LIMIT, initial_indent=indent + marker, subsequent_indent=cont,
                         break_long_words=False, break_on_hyphens=False)


_LIST = re.compile(r'#+\s*([-*+>|]\s|\d+[.)]\s|$)')                # a comment line that starts its own item


def _comment_lines(src: str) -> dict[int, tokenize.TokenInfo]:
    "1-based line -> its comment, for the lines that hold only a comment."
    code = {t.start[0] for t in _tokens(src) if t.type not in (
        tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)}
    return {t.start[0]: t for t in _tokens(src) if t.type == tokenize.COMMENT and t.start[0] not in code}


def wrap_comment_lines(src: str) -> str:
    """Re-wrap comment lines over `LIMIT` (not `#|` directives), top down; the overflow goes to the start of the next
    comment line when that continues the same comment (same indentation, not a list item), else onto a new line."""
    lines, r = src.split('\n'), 1
    while True:
        com = _comment_lines('\n'.join(lines))
        todo = [i for i, t in com.items() if i >= r and len(lines[i - 1]) > LIMIT and not t.string.startswith('#|')]
        if not todo: return '\n'.join(lines)
        r = min(todo); t = com[r]; indent = lines[r - 1][:t.start[1]]
        parts = wrap_comment(indent, t.string)
        nxt = com.get(r + 1)
        if (len(parts) > 1 and nxt is not None and lines[r][:nxt.start[1]] == indent and not nxt.string.startswith('#|')
                and not _LIST.match(nxt.string) and re.match(r'#+ ?', nxt.string).group(0) == re.match(r'#+ ?', t.string).group(0)):
            marker = re.match(r'#+ ?', nxt.string).group(0)
            rest = ' '.join(p[len(indent):].lstrip('#').strip() for p in parts[1:])
            lines[r - 1:r + 1] = [parts[0], indent + marker + rest + ' ' + nxt.string[len(marker):].lstrip()]
        else:
            lines[r - 1:r] = parts
        r += 1


def fix_comments(src: str) -> str:
    "Re-wrap long comment lines; move inline comments that push a line over `LIMIT` above it."
    lines = src.split('\n')
    if not any(len(l) > LIMIT for l in lines): return src
    src = wrap_comment_lines(src); lines = src.split('\n')
    toks = _tokens(src)
    spans = _multiline_string_lines(toks)
    repl = {}
    for t in toks:
        if t.type != tokenize.COMMENT: continue
        r, col = t.start; l = lines[r - 1]
        if len(l) <= LIMIT or t.string.startswith('#|'): continue
        before = l[:col]
        if not before.strip(): continue                               # a comment line: `wrap_comment_lines`
        code = before.rstrip()
        if PRAGMA.match(t.string):
            if len(code) + 2 + len(t.string) <= LIMIT: repl[r] = [f'{code}  {t.string}']
            continue
        # a line above this one must not land inside a string or after a backslash continuation
        if r in spans and spans[r].start[0] < r: continue
        at = r                                                        # above the line a backslash continues
        while at > 1 and lines[at - 2].endswith('\\'): at -= 1
        if at in spans and spans[at].start[0] < at: continue
        indent = _indent(lines[at - 1])
        repl[r] = [code]
        repl.setdefault(-at, []).extend(wrap_comment(indent, t.string))
    out = []
    for i, l in enumerate(lines, 1): out += repl.get(-i, []) + repl.get(i, [l])
    return '\n'.join(out)


# --- docstrings
_ITEM = re.compile(r'\s*([-*+|>]\s|\d+[.)]\s|\w+:$|```|"""|\'\'\'|$)')   # a line that starts its own paragraph


def _indent(l: str) -> str: return l[:len(l) - len(l.lstrip())]


_KEY = re.compile(r'\s*[\w*`.]+(, [\w*`.]+)*( \([^)]*\))?: ')             # an `Args:` entry: `name (type): ...`


_SECTION = re.compile(r'\s*(Args|Arguments|Parameters|Returns|Raises|Yields|Attributes):\s*$')


def _entry(lines: list[str], r: int) -> bool:
    "Whether line `r` is an entry of an `Args:`-style section (a header above it, less indented, no blank line between)."
    if not _KEY.match(lines[r]): return False
    for i in range(r - 1, -1, -1):
        if not lines[i].strip(): return False
        if _SECTION.match(lines[i]): return len(_indent(lines[i])) < len(_indent(lines[r]))
    return False


def _push_overflow(lines: list[str], r: int, last: int) -> list[str]:
    """Wrap line `r` (0-based) at `LIMIT`, pushing the words that overflow onto the next lines of its paragraph (an
    `Args:`-style entry's overflow goes on lines indented four more)."""
    lines = list(lines)
    entry = _entry(lines, r)
    cont = _indent(lines[r]) + ('    ' if entry else '')
    while r < len(lines) and len(lines[r]) > LIMIT:
        ind = _indent(lines[r])
        parts = textwrap.wrap(lines[r].strip(), width=LIMIT, initial_indent=ind, subsequent_indent=cont,
                              break_long_words=False, break_on_hyphens=False)
        if len(parts) < 2: return lines                             # one word too long: leave it
        head, rest = parts[0], ' '.join(p.strip() for p in parts[1:])
        nxt = r + 1
        if nxt <= last and _indent(lines[nxt]) == cont and not _ITEM.match(lines[nxt]) and not (entry and _KEY.match(lines[nxt])):
            lines[r:nxt + 1] = [head, cont + rest + ' ' + lines[nxt].strip()]
        else:
            lines[r:nxt] = [head, cont + rest]; last += 1
        r = nxt
    return lines


def fix_docstrings(src: str) -> str:
    "Re-wrap docstring text lines over `LIMIT`, each paragraph's overflow pushed down; a long one-liner becomes triple-quoted."
    lines = src.split('\n')
    if not any(len(l) > LIMIT for l in lines): return src
    tree = ast.parse(src)
    for d in sorted(_docstrings(tree).values(), key=lambda d: -d.lineno):   # bottom up: line numbers above stay valid
        a, b = d.lineno - 1, d.end_lineno - 1
        if not any(len(l) > LIMIT for l in lines[a:b + 1]): continue
        if a == b:                                                    # one line: "..." -> """...""" wrapped
            l = lines[a]; tok = l.strip()
            m = re.fullmatch(r'([rR]?)(["\'])(.*)\2', tok)
            if not m or tok[len(m.group(1)):][:3] in ('"""', "\'\'\'"): continue
            body = m.group(3)
            if '"""' in body or body.endswith(('"', '\\')) or len(tok) + len(_indent(l)) <= LIMIT: continue
            ind = _indent(l)
            lines[a:a + 1] = _push_overflow([f'{ind}{m.group(1)}"""{body}"""'], 0, 0)
            continue
        seg, r = lines[a:b + 1], 0
        while r < len(seg):
            if len(seg[r]) > LIMIT and (r > 0 or seg[r].lstrip()[:1] in ('"', "'", 'r', 'R')):
                seg = _push_overflow(seg, r, len(seg) - 1)
            r += 1
        lines[a:b + 1] = seg
    return '\n'.join(lines)


# --- code, through ruff
def ruff_bin() -> str:
    here = Path(sys.executable).parent / 'ruff'
    exe = str(here) if here.exists() else shutil.which('ruff')
    if not exe: raise SystemExit(f'error: ruff not found (pip install ruff=={RUFF_VERSION})')
    v = subprocess.run([exe, '--version'], capture_output=True, text=True).stdout.split()[-1]
    if v != RUFF_VERSION: print(f'warning: ruff {v}, not {RUFF_VERSION}: the output may differ', file=sys.stderr)
    return exe


RUFF = None


def ruff_range(src: str, line: int) -> str:
    "`src` with the logical line holding 1-based `line` formatted by ruff (the rest unchanged)."
    global RUFF
    RUFF = RUFF or ruff_bin()
    l = src.split('\n')[line - 1]
    start, end = len(_indent(l)) + 1, len(l) + 1    # not column 1: ruff would re-pad the line above's comment
    p = subprocess.run([RUFF, 'format', *RUFF_CONFIG, f'--range={line}:{start}-{line}:{end}', '--stdin-filename', 'cell.py',
                        '-'], input=src if src.endswith('\n') else src + '\n', capture_output=True, text=True)
    if p.returncode: raise Refused(f'ruff failed: {p.stderr.strip().splitlines()[-1:]}')
    out = p.stdout                                    # a cell's source usually has no final newline: none added
    return out[:-1] if out.endswith('\n') and not src.endswith('\n') else out


LIB = 'distilled_vit'


def split_import(src: str, r: int) -> str | None:
    """The `from distilled_vit.x import a, b, ...` (or relative) import holding line `r`, as several one-line such
    imports of at most `LIMIT` characters: nbdev_export makes the package's imports relative reliably only when each
    is on one line (it rewrites the first line within the statement's end column)."""
    lines = src.split('\n'); l = lines[r - 1]
    imp = next((n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.ImportFrom) and n.lineno <= r <= n.end_lineno),
               None)
    if imp is None or not (imp.level or (imp.module or '').split('.')[0] == LIB) or len(imp.names) < 2: return None
    a, b = imp.lineno, imp.end_lineno
    if lines[a - 1][:imp.col_offset].strip() or lines[b - 1][imp.end_col_offset:].strip(): return None
    l = lines[a - 1]
    head = f"{_indent(l)}from {'.' * imp.level}{imp.module or ''} import "
    out, cur = [], []
    for al in imp.names:
        name = al.name + (f' as {al.asname}' if al.asname else '')
        if cur and len(head + ', '.join(cur + [name])) > LIMIT: out.append(head + ', '.join(cur)); cur = []
        cur.append(name)
    out.append(head + ', '.join(cur))
    lines[a - 1:b] = out
    return '\n'.join(lines)


def fix_code(src: str) -> str:
    "Format, bottom up, each logical line that holds a code line over `LIMIT`."
    done_from = 10 ** 9                                              # lines from here down are settled
    while True:
        todo = [r for r, k, _ in long_lines(src) if k == 'code' and r < done_from]
        if not todo: return src
        r = todo[-1]
        new = split_import(src, r) or ruff_range(src, r)
        a, b = src.split('\n'), new.split('\n')
        same = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        done_from = min(r, same + 1)
        src = new


def _break_points(body: str, fstring: bool) -> list[int]:
    "Offsets in a string literal's body just after a space, outside `{...}` fields and escapes."
    out, depth, i = [], 0, 0
    while i < len(body):
        ch = body[i]
        if ch == '\\': i += 2; continue
        if fstring and ch in '{}':
            if body[i:i + 2] in ('{{', '}}'): i += 2; continue
            depth += 1 if ch == '{' else -1
        elif ch == ' ' and depth == 0 and 0 < i < len(body) - 1: out.append(i + 1)
        i += 1
    return out


def split_string_line(src: str, r: int) -> str:
    "Split the string literal ending long line `r` (inside brackets) into implicitly joined pieces, one a line."
    lines = src.split('\n'); l = lines[r - 1]
    skip = (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)
    toks = [t for t in _tokens(src) if t.start[0] == r and t.type not in skip]
    strs = [i for i, t in enumerate(toks) if t.type == tokenize.STRING]
    if not strs: return src
    k = strs[-1]; st = toks[k]
    if any(t.string not in (',', ')', ']', '}') for t in toks[k + 1:]): return src
    depth = 0                                                           # brackets open where the string starts
    for t in _tokens(src):
        if t.start >= st.start: break
        if t.type == tokenize.OP and t.string in '([{)]}': depth += 1 if t.string in '([{' else -1
    wrap = depth <= 0                                     # `x = "..."`, `return "..."`: the pieces go in parentheses
    if wrap and not (k > 0 and toks[k - 1].string in ('=', '+=', 'return') and k == len(toks) - 1): return src
    if st.end[0] != r or toks[0].start[1] != len(_indent(l)): return src
    m = re.fullmatch(r'([a-zA-Z]*)(["\'])(.*)\2', st.string, re.S)
    if not m or st.string[len(m.group(1)):][:3] in ('"""', "\'\'\'"): return src
    pre, q, body = m.groups()
    head, tail = l[:st.start[1]], l[st.end[1]:]
    first = head.strip() != ''
    cont = _indent(l) + ('    ' if first else '')
    pieces, ind, start = [], head, 0
    if wrap: pieces, ind = [head + '('], cont
    cuts = _break_points(body, 'f' in pre.lower())
    while True:
        room = LIMIT - len(ind) - len(pre) - 2
        if len(body) - start + len(tail) <= room: pieces.append(ind + pre + q + body[start:] + q + tail); break
        fit = [c for c in cuts if start < c <= start + room]
        if not fit: return src                                          # no space to break at
        pieces.append(ind + pre + q + body[start:fit[-1]] + q); start, ind = fit[-1], cont
        if '{' not in body[start:]: pre = re.sub('[fF]', '', pre)     # the rest holds no field
    if wrap: pieces.append(_indent(l) + ')')
    lines[r - 1:r] = pieces
    return '\n'.join(lines)


def split_strings(src: str) -> str:
    "Split, bottom up, the long string literals that end their line inside brackets; each split must keep the AST."
    key = ast_key(src)
    for r, kind, _ in reversed(long_lines(src)):
        if kind != 'code': continue
        new = split_string_line(src, r)
        if new != src and ast_key(new) == key: src = new
    return src


def format_cell(src: str) -> str:
    "The cell with its long lines wrapped; raises `Refused` when that would change its AST."
    if not any(len(l) > LIMIT for l in src.split('\n')) or MAGIC.search(src): return src
    try: key = ast_key(src)
    except SyntaxError: return src
    new = src
    for _ in range(4):                                                # to a fixed point, so a second run changes nothing
        nxt = split_strings(fix_code(fix_docstrings(fix_comments(new))))
        if nxt == new: break
        new = nxt
    try: ok = ast_key(new) == key
    except SyntaxError: ok = False
    if not ok: raise Refused('the AST would change')
    return new


# --- mutation rows
def _module_notebooks(root: Path) -> dict[str, Path]:
    out = {}
    for p in notebooks(root):
        nb = json.loads(p.read_text())
        for c in nb['cells']:
            m = re.match(r'#\|\s*default_exp\s+(\S+)', cell_source(c)) if c['cell_type'] == 'code' else None
            if m: out[m.group(1)] = p
    return out


def _code(nb) -> str: return '\n'.join(cell_source(c) for c in nb['cells'] if c['cell_type'] == 'code')


def _pair(fmt_cell: str, fmt_mut: str, fmt_all: str) -> tuple[str, str] | None:
    "The whole lines where `fmt_cell` and `fmt_mut` differ, widened until the original is found once."
    p = 0
    while p < min(len(fmt_cell), len(fmt_mut)) and fmt_cell[p] == fmt_mut[p]: p += 1
    s = 0
    while s < min(len(fmt_cell), len(fmt_mut)) - p and fmt_cell[-1 - s] == fmt_mut[-1 - s]: s += 1
    a = fmt_cell.rfind('\n', 0, p) + 1                                # whole lines: from the line start ...
    tail = fmt_cell[len(fmt_cell) - s:]
    e = tail.find('\n'); e = len(tail) if e < 0 else e                # ... to the line end
    for _ in range(6):                                                # widen by whole lines until found once
        o, n = fmt_cell[a:len(fmt_cell) - s + e], fmt_mut[a:len(fmt_mut) - s + e]
        if o.strip() and fmt_cell.count(o) == 1 and fmt_all.count(o) == 1: return o, n
        a = fmt_cell.rfind('\n', 0, max(a - 1, 0)) + 1 if a else 0
        nxt = tail.find('\n', e + 1); e = len(tail) if nxt < 0 else nxt
    return None


def remap(old: str, new: str, cell: str, fmt_cell: str, fmt_all: str) -> tuple[str, str] | None:
    "The (old, new) pair that makes the same mutation in the formatted cell; None when it cannot be found."
    mut = cell.replace(old, new, 1)
    want = ast_key(mut)
    if fmt_cell.count(old) == 1 and fmt_all.count(old) == 1 and ast_key(fmt_cell.replace(old, new)) == want:
        return old, new                                               # still found and still the same mutation
    fmt_mut = format_cell(mut)
    cands = [fmt_mut]
    p = next((i for i, (x, y) in enumerate(zip(fmt_cell, fmt_mut)) if x != y), None)
    if p is not None:                       # the mutated statement formatted like the original one, though shorter
        try: cands.append(ruff_range(fmt_mut, fmt_mut.count('\n', 0, p) + 1))
        except Refused: pass
    pairs = []
    for c in cands:
        try: same = ast_key(c) == want
        except SyntaxError: same = False
        pair = _pair(fmt_cell, c, fmt_all) if same else None
        if pair: pairs.append(pair)
    return min(pairs, key=lambda pr: (len(pr[0]) + len(pr[1]), pr)) if pairs else None


def _literal(s: str) -> str:
    "`s` as a Python string literal, in double quotes unless it holds more of those than single ones."
    q = "'" if s.count('"') > s.count("'") else '"'
    body = s.replace('\\', '\\\\').replace('\n', '\\n').replace('\t', '\\t').replace(q, '\\' + q)
    return q + body + q


def update_mutation_rows(root: Path, before: dict[Path, dict], after: dict[Path, dict], write: bool):
    "Remap the rows of tools/mutation_check.py whose text the reformat changed; returns (kept, remapped, failed)."
    path = root / 'tools' / 'mutation_check.py'
    text = path.read_text()
    tree = ast.parse(text)
    rows = next(n.value for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], 'id', '') == 'MUTATIONS')
    nbs = _module_notebooks(root)
    line_off = [0]
    for l in text.splitlines(keepends=True): line_off.append(line_off[-1] + len(l.encode()))
    bpos = lambda n, end=False: line_off[(n.end_lineno if end else n.lineno) - 1] + (n.end_col_offset if end else n.col_offset)
    edits, kept, remapped, failed = [], 0, [], []
    for row in rows.elts:
        name, module, old_n, new_n = row.elts[:4]
        name, old, new = name.value, old_n.value, new_n.value
        nbp = nbs.get(module.value)
        if nbp is None or nbp not in before: failed.append((name, 'no notebook')); continue
        bnb, anb = before[nbp], after[nbp]
        cells = [(cell_source(b), cell_source(a)) for b, a in zip(bnb['cells'], anb['cells']) if b['cell_type'] == 'code']
        hits = [(b, a) for b, a in cells if old in b]
        if len(hits) != 1 or hits[0][0].count(old) != 1:
            failed.append((name, f'text found {sum(b.count(old) for b, _ in cells)} times before the reformat')); continue
        b, a = hits[0]
        if a == b and _code(anb).count(old) == 1: kept += 1; continue
        try: pair = remap(old, new, b, a, _code(anb))
        except (Refused, SyntaxError): pair = None
        if pair is None: failed.append((name, 'not found after the reformat; remap it by hand')); continue
        if pair == (old, new): kept += 1; continue
        remapped.append((name, pair))
        edits.append((bpos(old_n), bpos(old_n, True), _literal(pair[0])))
        edits.append((bpos(new_n), bpos(new_n, True), _literal(pair[1])))
    if write and edits:
        raw = text.encode()
        for s, e, lit in sorted(edits, reverse=True): raw = raw[:s] + lit.encode() + raw[e:]
        new_text = raw.decode()
        ast.parse(new_text)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix='.mutation_check.', suffix='.tmp')
        with os.fdopen(fd, 'w') as f: f.write(new_text)
        os.replace(tmp, path)
    return kept, remapped, failed


# --- the command
def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--check', action='store_true', help=f'list code lines over {LIMIT} characters; exit 1 if any')
    ap.add_argument('--root', default=str(ROOT), help='the project folder (default: this checkout)')
    a = ap.parse_args()
    root = Path(a.root)
    if a.check:
        n = 0
        for p in notebooks(root):
            for ci, c in enumerate(json.loads(p.read_text())['cells']):
                if c['cell_type'] != 'code': continue
                for r, kind, l in long_lines(cell_source(c)):
                    n += 1; print(f'{p.relative_to(root)}: cell {ci} line {r} ({len(l)} chars, {kind}): {l.strip()[:60]}')
        print(f'{n} code lines over {LIMIT} characters')
        sys.exit(1 if n else 0)
    before, after, changed, refused, skipped = {}, {}, 0, [], 0
    n_before = n_after = 0
    for p in notebooks(root):
        nb = json.loads(p.read_text()); before[p] = json.loads(p.read_text())
        dirty = False
        for ci, c in enumerate(nb['cells']):
            if c['cell_type'] != 'code': continue
            src = cell_source(c); n_before += len(long_lines(src))
            if long_lines(src) and MAGIC.search(src): skipped += 1
            try: new = format_cell(src)
            except Refused as e: refused.append(f'{p.name} cell {ci}: {e}'); new = src
            if new != src: set_source(c, new); dirty = True; changed += 1
            n_after += len(long_lines(new))
        after[p] = nb
        if dirty: write_nb(nb, p)
    print(f'{changed} cells reformatted; code lines over {LIMIT}: {n_before} before, {n_after} after')
    if skipped: print(f'{skipped} cells with IPython magics or shell lines skipped')
    for r in refused: print(f'left as it was: {r}')
    kept, remapped, failed = update_mutation_rows(root, before, after, write=True)
    print(f'mutation rows: {kept} unchanged, {len(remapped)} remapped, {len(failed)} not remapped')
    for name, (o, n) in remapped: print(f'  remapped {name}: {o[:70]!r}')
    for name, why in failed: print(f'  NOT remapped {name}: {why}')
    print('next: nbdev_clean && nbdev_export && python tools/make_readme.py')
    sys.exit(1 if failed or refused else 0)


if __name__ == '__main__':
    main()
