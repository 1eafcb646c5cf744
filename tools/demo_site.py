"""Assemble the browser demo (web/demo.html + demo.js, onnxruntime-web's wasm build from web/node_modules, and, when
given, an export folder's audio-in model) into a folder; `make docs` puts it at _docs/demo/, tests/test_browser.py
in a temporary folder. With --screenshot PNG it also serves the folder, runs the page on --audio in headless
Chromium and saves what it shows (the docs' screenshot).

    .venv/bin/python tools/demo_site.py _docs/demo --model runs/cpu/export
"""
import argparse, functools, http.server, shutil, sys, threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORT_FILES = ('ort.wasm.min.js', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm')
MODEL_FILES = ('frontend.json', 'student_wave_int8.onnx', 'student_wave.onnx')


def build(dst, export_dir=None) -> Path:
    "Write the demo into `dst`; the model of `export_dir` (an export folder) becomes its default when given."
    dst = Path(dst); dst.mkdir(parents=True, exist_ok=True)
    dist = ROOT / 'web' / 'node_modules' / 'onnxruntime-web' / 'dist'
    missing = [f for f in ORT_FILES if not (dist / f).is_file()]
    if missing: raise SystemExit(f"{dist}: {', '.join(missing)} missing; run `npm ci --prefix web` (make does)")
    for f in ('demo.html', 'demo.js'): shutil.copy(ROOT / 'web' / f, dst / f)
    for f in ORT_FILES: shutil.copy(dist / f, dst / f)
    if export_dir is not None:
        src = Path(export_dir)
        if not all((src / f).is_file() for f in MODEL_FILES):
            raise SystemExit(f"{src}: not an export folder with an audio-in model ({', '.join(MODEL_FILES)})")
        for f in MODEL_FILES + (('harmony.onnx',) if (src / 'harmony.onnx').is_file() else ()):   # a student that hears harmony rows
            shutil.copy(src / f, dst / f)
    return dst


class Server:
    "Serve a folder over HTTP on 127.0.0.1 (a free port) in a thread: `with Server(folder) as url: ...`."
    def __init__(self, folder): self.folder = str(folder)
    def __enter__(self):
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *a): pass
        handler = functools.partial(Quiet, directory=self.folder)
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return f'http://127.0.0.1:{self.httpd.server_address[1]}'
    def __exit__(self, *exc): self.httpd.shutdown(); self.httpd.server_close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('dst'); ap.add_argument('--model', default=None, help='export folder whose audio-in model the page loads')
    ap.add_argument('--screenshot', default=None); ap.add_argument('--audio', default=None, help='audio file for the screenshot')
    a = ap.parse_args()
    dst = build(a.dst, a.model)
    if a.screenshot:
        sys.path.insert(0, str(Path(__file__).parent)); from headless import run_page
        shutil.copy(a.audio, dst / Path(a.audio).name)
        with Server(dst) as url: r = run_page(f'{url}/demo.html?audio={Path(a.audio).name}', screenshot=a.screenshot)
        (dst / Path(a.audio).name).unlink()
        if r['state'] != 'done': raise SystemExit(f"demo page did not finish: {r['status']}")
        print(r['status'])
    print(f"demo: {dst}")


if __name__ == '__main__':
    main()
