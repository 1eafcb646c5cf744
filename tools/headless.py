"""Run a page in Debian's headless Chromium and read it back through the DevTools protocol: wait until the page says
it is finished (`document.body.dataset.state` is 'done' or 'error'), then return the text of an element and, on
request, a PNG screenshot. Used by tests/test_browser.py and tools/demo_site.py (the docs screenshot). With `files`
it first chooses files in the page's file inputs, one input after the other, as a user would (DevTools'
`DOM.setFileInputFiles`), each once the page waits for input again (state 'ready').

`--dump-dom`/`--screenshot` alone do not wait for asynchronous work (audio decoding, WebAssembly inference), hence
the protocol. Needs `chromium` on PATH (`apt-get install -y chromium`) and `websocket-client`."""
import base64, json, os, shutil, socket, subprocess, tempfile, time, urllib.request
from pathlib import Path


def chromium() -> str | None:
    "Path of a Chromium binary, or None."
    return next((p for p in (shutil.which(n) for n in ('chromium', 'chromium-browser', 'google-chrome')) if p), None)


def _free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def run_page(url: str, element: str = 'result', screenshot: str | Path | None = None, timeout: float = 90,
             size=(960, 820), files=()) -> dict:
    """Open `url`, choose `files` ([(input id, [paths])]) in turn, wait for the page to finish; returns
    {state, status, text} (text of #element) and writes `screenshot`. A step that ends in an error ends the run."""
    import websocket
    exe = chromium()
    if exe is None: raise RuntimeError('chromium not found (apt-get install -y chromium)')
    port, prof = _free_port(), tempfile.mkdtemp(prefix='dv-chromium-')
    proc = subprocess.Popen([exe, '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--mute-audio',
                             f'--window-size={size[0]},{size[1]}', f'--remote-debugging-port={port}', f'--user-data-dir={prof}',
                             '--no-first-run', '--no-default-browser-check', url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.time(); page = None
        while page is None and time.time() - t0 < 30:
            try:
                pages = json.load(urllib.request.urlopen(f'http://127.0.0.1:{port}/json', timeout=2))
                page = next((p for p in pages if p.get('type') == 'page' and p.get('webSocketDebuggerUrl')), None)
            except OSError: time.sleep(0.2)
        if page is None: raise RuntimeError('chromium did not open the page')
        ws = websocket.create_connection(page['webSocketDebuggerUrl'], timeout=30, suppress_origin=True)
        n = [0]
        def call(method, **params):
            n[0] += 1; ws.send(json.dumps(dict(id=n[0], method=method, params=params)))
            while True:
                msg = json.loads(ws.recv())
                if msg.get('id') == n[0]: return msg.get('result', {})
        def js(expr): return call('Runtime.evaluate', expression=expr, returnByValue=True).get('result', {}).get('value')
        def settle(ends, before=None):      # the page's state once it is in `ends` with a status other than `before`
            state = None
            while time.time() - t0 < timeout:
                state = js("document.body && document.body.dataset.state")
                if state in ends and js("document.getElementById('status').textContent") != before: break
                time.sleep(0.25)
            return state
        state = settle(('ready', 'done', 'error') if files else ('done', 'error'))
        for step, (input_id, paths) in enumerate(files):
            if state == 'error': break
            before = js("document.getElementById('status').textContent")
            el = call('Runtime.evaluate', expression=f"document.getElementById({input_id!r})")['result']
            call('DOM.setFileInputFiles', files=[str(Path(p).resolve()) for p in paths], objectId=el['objectId'])
            state = settle(('ready', 'done', 'error') if step < len(files) - 1 else ('done', 'error'), before)
        out = dict(state=state, status=js("(document.getElementById('status') || {}).textContent"),
                   text=js(f"(document.getElementById({element!r}) || {{}}).textContent"))
        if screenshot is not None:
            png = base64.b64decode(call('Page.captureScreenshot', format='png')['data'])
            tmp = Path(str(screenshot) + '.tmp'); tmp.write_bytes(png); os.replace(tmp, screenshot)
        ws.close()
        return out
    finally:
        proc.terminate()
        try: proc.wait(10)
        except subprocess.TimeoutExpired: proc.kill()
        shutil.rmtree(prof, ignore_errors=True)
