"""Run a page in Debian's headless Chromium and read it back through the DevTools protocol: wait until the page says
it is finished (`document.body.dataset.state` is 'done' or 'error'), then return the text of an element and, on
request, a PNG screenshot. Used by tests/test_browser.py and tools/demo_site.py (the docs screenshot). With `files`
it first chooses files in the page's file inputs, one input after the other, as a user would (DevTools'
`DOM.setFileInputFiles`), each once the page waits for input again (state 'ready'). `Browser` keeps one Chromium
open for many pages (tools/docs_width.py).

`--dump-dom`/`--screenshot` alone do not wait for asynchronous work (audio decoding, WebAssembly inference), hence
the protocol. Needs `chromium` on PATH (`apt-get install -y chromium`) and `websocket-client`."""
import base64, json, os, shutil, socket, subprocess, tempfile, time, urllib.request
from pathlib import Path


def chromium() -> str | None:
    "Path of a Chromium binary, or None."
    return next((p for p in (shutil.which(n) for n in ('chromium', 'chromium-browser', 'google-chrome')) if p), None)


def _free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


class Browser:
    """Headless Chromium opened on `url` at window `size`, driven through DevTools:
    `with Browser(url) as b: b.js('document.title'); b.goto(other_url)`."""
    def __init__(self, url: str = 'about:blank', size=(960, 820)): self.url, self.size = url, size

    def __enter__(self):
        import websocket
        exe = chromium()
        if exe is None: raise RuntimeError('chromium not found (apt-get install -y chromium)')
        port, self.prof = _free_port(), tempfile.mkdtemp(prefix='dv-chromium-')
        self.proc = subprocess.Popen(
            [exe, '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--mute-audio',
             f'--window-size={self.size[0]},{self.size[1]}', f'--remote-debugging-port={port}',
             f'--user-data-dir={self.prof}', '--no-first-run', '--no-default-browser-check', self.url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            t0 = time.time(); page = None
            while page is None and time.time() - t0 < 30:
                try:
                    pages = json.load(urllib.request.urlopen(f'http://127.0.0.1:{port}/json', timeout=2))
                    page = next((p for p in pages if p.get('type') == 'page' and p.get('webSocketDebuggerUrl')), None)
                except OSError: time.sleep(0.2)
            if page is None: raise RuntimeError('chromium did not open the page')
            self.ws = websocket.create_connection(page['webSocketDebuggerUrl'], timeout=30, suppress_origin=True)
        except BaseException:
            self.__exit__(); raise
        self.n = 0
        return self

    def __exit__(self, *exc):
        if getattr(self, 'ws', None) is not None: self.ws.close()
        self.proc.terminate()
        try: self.proc.wait(10)
        except subprocess.TimeoutExpired: self.proc.kill()
        shutil.rmtree(self.prof, ignore_errors=True)

    def call(self, method: str, **params) -> dict:
        "One DevTools command; its result."
        self.n += 1; self.ws.send(json.dumps(dict(id=self.n, method=method, params=params)))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get('id') == self.n: return msg.get('result', {})

    def js(self, expr: str):
        "The value of a JavaScript expression in the page."
        return self.call('Runtime.evaluate', expression=expr, returnByValue=True).get('result', {}).get('value')

    def goto(self, url: str, timeout: float = 30):
        "Open `url` and wait until it has loaded (`document.readyState` is 'complete')."
        self.call('Page.navigate', url=url); t0 = time.time()
        time.sleep(0.1)
        while time.time() - t0 < timeout:
            if self.js('document.readyState') == 'complete' and self.js('location.href') == url: return
            time.sleep(0.1)
        raise RuntimeError(f'{url} did not load in {timeout:.0f} s')


def run_page(url: str, element: str = 'result', screenshot: str | Path | None = None, timeout: float = 90,
             size=(960, 820), files=()) -> dict:
    """Open `url`, choose `files` ([(input id, [paths])]) in turn, wait for the page to finish; returns
    {state, status, text} (text of #element) and writes `screenshot`. A step that ends in an error ends the run."""
    with Browser(url, size) as b:
        t0 = time.time()
        def settle(ends, before=None):      # the page's state once it is in `ends` with a status other than `before`
            state = None
            while time.time() - t0 < timeout:
                state = b.js("document.body && document.body.dataset.state")
                if state in ends and b.js("document.getElementById('status').textContent") != before: break
                time.sleep(0.25)
            return state
        state = settle(('ready', 'done', 'error') if files else ('done', 'error'))
        for step, (input_id, paths) in enumerate(files):
            if state == 'error': break
            before = b.js("document.getElementById('status').textContent")
            el = b.call('Runtime.evaluate', expression=f"document.getElementById({input_id!r})")['result']
            b.call('DOM.setFileInputFiles', files=[str(Path(p).resolve()) for p in paths], objectId=el['objectId'])
            state = settle(('ready', 'done', 'error') if step < len(files) - 1 else ('done', 'error'), before)
        out = dict(state=state, status=b.js("(document.getElementById('status') || {}).textContent"),
                   text=b.js(f"(document.getElementById({element!r}) || {{}}).textContent"))
        if screenshot is not None:
            png = base64.b64decode(b.call('Page.captureScreenshot', format='png')['data'])
            tmp = Path(str(screenshot) + '.tmp'); tmp.write_bytes(png); os.replace(tmp, screenshot)
        return out
