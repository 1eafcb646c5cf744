"""tools/wrap_lines.py: long notebook code lines wrapped at 100 without changing what the code does (issue 36)."""
import ast, json, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))
import wrap_lines as w

needs_ruff = pytest.mark.skipif(not ((Path(sys.executable).parent / 'ruff').exists() or shutil.which('ruff')),
                                reason='ruff is not installed')
X = 'x' * 60


def test_comments():
    # a long comment line: wrapped at 100 with its indentation; a directive line: untouched
    long = '    # ' + ' '.join(['word'] * 30)                   # 4 + 2 + 30*5-1 = 155 characters
    d = '#| ' + 'export ' * 20
    out = w.fix_comments(f'{d}\nif True:\n{long}\n    pass').split('\n')
    assert out[0] == d and out[1] == 'if True:' and out[-1] == '    pass'
    assert out[2:-1] == ['    # ' + ' '.join(['word'] * 19), '    # ' + ' '.join(['word'] * 11)]   # 6 + 94 = 100
    # the overflow goes to the start of the next line of the same comment, not to a list item
    out = w.fix_comments(f'{long}\n    # end.\n    # - item\npass').split('\n')
    assert out == ['    # ' + ' '.join(['word'] * 19), '    # ' + ' '.join(['word'] * 11) + ' end.', '    # - item', 'pass']
    # an inline comment that pushes its line over 100 goes above the line, same indentation
    src = f"def f():\n    y = '{X}'  # {X}\n    return y"
    assert w.fix_comments(src) == f"def f():\n    # {X}\n    y = '{X}'\n    return y"
    # a pragma stays inline, its padding shortened; a short line is left alone, padding and all
    src = f"import aaaa{X}{' ' * 30}# noqa: F401\nb = 1        # short"
    assert w.fix_comments(src) == f"import aaaa{X}  # noqa: F401\nb = 1        # short"


def test_docstrings():
    words = ' '.join(['word'] * 25)                               # 124 characters
    out = w.fix_docstrings(f'def f():\n    "{words}."\n    return 1')
    assert out == f'def f():\n    """{" ".join(["word"] * 18)}\n    {" ".join(["word"] * 7)}."""\n    return 1'  # 7 + 89
    assert ast.get_docstring(ast.parse(out).body[0]).split() == (words + '.').split()
    # an Args entry's overflow: a hanging indent, and the next entry stays its own line
    src = f'def f(a, b):\n    """Sum.\n\n    Args:\n        a: {words}\n        b: short."""'
    out = w.fix_docstrings(src).split('\n')
    assert out[4:] == [f'        a: {" ".join(["word"] * 18)}', f'            {" ".join(["word"] * 7)}', '        b: short."""']


@needs_ruff
def test_format_cell_keeps_the_ast_and_the_short_lines():
    src = ('#| export\n'
           'def f(a):\n'
           '    if a: return 1      # short lines stay as they are\n'
           f'    return g(aaaa{X}, bbbb, cccc, dddd, eeee, ffff)\n'
           'x = {"a":1}')
    out = w.format_cell(src)
    assert out.split('\n')[:3] == src.split('\n')[:3] and out.split('\n')[-1] == 'x = {"a":1}'
    assert max(map(len, out.split('\n'))) <= 100 and w.ast_key(out) == w.ast_key(src)
    assert w.format_cell(out) == out                               # idempotent
    assert w.format_cell(src + '\n') == out + '\n'                 # a final newline stays one
    # a long string literal in brackets: split into implicitly joined pieces (the same constant)
    s = 'raise ValueError(f"{path}: ' + ' '.join(['word'] * 25) + '")'
    out = w.format_cell(s)
    assert max(map(len, out.split('\n'))) <= 100 and ast.dump(ast.parse(out)) == ast.dump(ast.parse(s))
    # the package's own imports: several one-line imports, which nbdev_export makes relative
    s = 'from distilled_vit.core import ' + ', '.join(f'name{i}' for i in range(20))
    out = w.format_cell(s).split('\n')
    assert len(out) == 3 and max(map(len, out)) <= 100 and all(l.startswith('from distilled_vit.core import name') for l in out)
    # magics: skipped
    assert w.format_cell(f'%time f(aaaa{X}, {X})') == f'%time f(aaaa{X}, {X})'


@needs_ruff
def test_mutation_rows_are_remapped(tmp_path):
    "A row whose text the reformat splits gets a new (old, new) pair making the same change; others stay."
    (tmp_path / 'nbs').mkdir(); (tmp_path / 'tools').mkdir()
    cell = f'#| default_exp m\ndef f(a, b):\n    return a * first_weight_{X} + b * second_weight_{X}\n\ndef g(): return 2'
    nb = dict(cells=[dict(cell_type='code', execution_count=None, metadata={}, outputs=[],
                          source=cell.splitlines(keepends=True))], metadata={}, nbformat=4, nbformat_minor=5)
    (tmp_path / 'nbs' / '01_m.ipynb').write_text(json.dumps(nb))
    old, new = f'a * first_weight_{X} + b', f'b * first_weight_{X} + a'
    (tmp_path / 'tools' / 'mutation_check.py').write_text(
        f"MUTATIONS = [\n    ('swap', 'm', {old!r}, {new!r}, ['01_m'], []),\n"
        "    ('two', 'm', 'def g(): return 2', 'def g(): return 3', ['01_m'], []),\n]\n")
    p = subprocess.run([sys.executable, str(ROOT / 'tools' / 'wrap_lines.py'), '--root', str(tmp_path)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert 'mutation rows: 1 unchanged, 1 remapped, 0 not remapped' in p.stdout
    text = (tmp_path / 'tools' / 'mutation_check.py').read_text()
    rows = ast.literal_eval(text.split('=', 1)[1])
    assert rows[1] == ('two', 'm', 'def g(): return 2', 'def g(): return 3', ['01_m'], [])
    fmt = ''.join(json.loads((tmp_path / 'nbs' / '01_m.ipynb').read_text())['cells'][0]['source'])
    o, n = rows[0][2], rows[0][3]
    assert fmt.count(o) == 1 and max(map(len, fmt.split('\n'))) <= 100
    assert w.ast_key(fmt.replace(o, n)) == w.ast_key(cell.replace(old, new))
    check = subprocess.run([sys.executable, str(ROOT / 'tools' / 'wrap_lines.py'), '--root', str(tmp_path), '--check'],
                           capture_output=True, text=True)
    assert check.returncode == 0 and '0 code lines over 100' in check.stdout
