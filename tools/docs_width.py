"""Does every code block of the docs site fit its page? Opens each page of a built site (`_docs/`, tools/docs.sh) in
headless Chromium at a laptop's window size (1440 px) and compares each `pre`'s scrollWidth with its clientWidth: a code
block (source, or a signature shown by show_doc) wider than its box needs a sideways scroll. Output blocks (a cell's
printed text) are counted apart and reported, not failed: a table printed by a cell is the run's own text.

    python tools/docs_width.py _docs            # exit 1 listing each code block that scrolls, with its first line
"""
import argparse, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from headless import Browser       # noqa: E402
from demo_site import Server       # noqa: E402

# every `pre` that overflows its box: is it code (not inside a cell's output), its widths, its longest line
OVERFLOW = """Array.from(document.querySelectorAll('pre')).filter(p => p.scrollWidth > p.clientWidth + 1).map(p => ({
  code: !p.closest('.cell-output, .cell-output-stdout, .cell-output-display, .cell-output-stderr'),
  scroll: p.scrollWidth, client: p.clientWidth,
  line: p.innerText.split('\\n').reduce((a, b) => b.length > a.length ? b : a, '').slice(0, 140)}))"""


def overflowing(site: Path, size=(1440, 900)) -> dict:
    "{page: [overflowing pre, ...]} for every html page of `site` (the demo folder aside)."
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob('*.html') if 'demo' not in p.parts
                   and 'site_libs' not in p.parts)
    out = {}
    with Server(site) as url, Browser(size=size) as b:
        for page in pages:
            b.goto(f'{url}/{page}')
            out[page] = b.js(OVERFLOW) or []
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('site', nargs='?', default='_docs')
    ap.add_argument('--width', type=int, default=1440, help='window width in CSS pixels (default 1440: a laptop)')
    a = ap.parse_args()
    res = overflowing(Path(a.site), (a.width, 900))
    if not res: sys.exit(f"docs width: no pages in {a.site} (build the site first: tools/docs.sh)")
    code = [(p, o) for p, os_ in res.items() for o in os_ if o['code']]
    printed = sum(not o['code'] for os_ in res.values() for o in os_)
    for p, o in code:
        print(f"docs width: {p}: a code block scrolls ({o['scroll']} px in {o['client']} px): {o['line'].strip()[:100]}")
    print(f"docs width: {len(res)} pages at {a.width} px: {len(code)} code blocks scroll sideways"
          f"{'' if not code else ' (lines over 100 characters: python tools/wrap_lines.py)'}; "
          f"{printed} printed outputs do (reported, not failed)")
    sys.exit(1 if code else 0)


if __name__ == '__main__':
    main()
