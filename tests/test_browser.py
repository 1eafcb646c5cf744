"""The browser demo: web/demo.html in headless Chromium with onnxruntime-web (wasm) gives the same valence/arousal per
window as Python ONNX Runtime on the same audio and model, and one clear line for bad audio or a log-mel model."""
import json, shutil, sys
from pathlib import Path
import numpy as np
import pytest
import soundfile as sf
from conftest import ROOT
from distilled_vit.inference import predict
from smoke_export import smoke_export
sys.path.insert(0, str(ROOT / 'tools'))
from headless import chromium, run_page
from demo_site import build, Server


@pytest.fixture(scope='module', autouse=True)
def _browser_installed():
    "Fails, not skips, without what it needs: `make test` installs both, so a skip would hide a broken install."
    missing = [what for what, ok in (('chromium (Debian package; tools/debian_deps.sh chromium)', chromium() is not None),
                                     ('web/node_modules (npm ci --prefix web)',
                                      (ROOT / 'web' / 'node_modules' / 'onnxruntime-web').is_dir())) if not ok]
    assert not missing, f"needs {' and '.join(missing)}: `make test` installs both"

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    s = smoke_export()
    d = build(tmp_path_factory.mktemp('demo'), s.export_dir)
    from distilled_vit.data import synth_clip, sample_music_params
    y = synth_clip(sample_music_params(np.random.default_rng(11)), 16000, 7.0)
    sf.write(str(d / 'clip.wav'), y, 16000, subtype='PCM_16')           # a generated WAV at the model's rate
    (d / 'notaudio.mp3').write_bytes(b'ID3 this is not an mp3 at all' * 10)
    shutil.copy(s.export_dir / 'student.onnx', d / 'student.onnx')       # the log-mel model: not a waveform model
    with Server(d) as url: yield s, d, url

def _windows(res): return np.array([[w['valence'], w['arousal']] for w in res['windows']])

def test_page_matches_python_onnx_runtime(site):
    s, d, url = site
    r = run_page(f'{url}/demo.html?audio=clip.wav')
    assert r['state'] == 'done', r['status']
    web, py = json.loads(r['text']), predict(d / 'clip.wav', s.export_dir)     # the bundle's default: audio-in INT8
    assert py['variant'] == 'wave_int8' and web['model'] == 'student_wave_int8.onnx'
    assert [w['start_s'] for w in web['windows']] == [w['start_s'] for w in py['windows']]
    assert np.abs(_windows(web) - _windows(py)).max() <= 1e-3
    assert abs(web['valence'] - py['valence']) <= 1e-3 and abs(web['arousal'] - py['arousal']) <= 1e-3
    # the fp32 audio-in model too, picked by URL
    r32 = run_page(f'{url}/demo.html?audio=clip.wav&model=student_wave.onnx')
    assert np.abs(_windows(json.loads(r32['text'])) - _windows(predict(d / 'clip.wav', s.export_dir, variant='wave_fp32'))).max() <= 1e-3

def test_undecodable_audio_is_one_clear_line(site):
    s, d, url = site
    r = run_page(f'{url}/demo.html?audio=notaudio.mp3')
    assert r['state'] == 'error' and r['status'].startswith('notaudio.mp3: cannot decode audio'), r['status']
    assert '\n' not in r['status']

def test_log_mel_model_is_refused_with_a_clear_line(site):
    s, d, url = site
    r = run_page(f'{url}/demo.html?audio=clip.wav&model=student.onnx')
    assert r['state'] == 'error' and 'student.onnx: its input is not an audio window of' in r['status'], r['status']

def test_page_checks_what_predict_checks(site):
    """The page refuses, with one line, what `predict` refuses: a model whose SHA-256 is not the one frontend.json
    recorded, a harmony graph likewise, and a labels.range that is not two finite numbers low < high."""
    s, d, url = site
    fe = json.loads((d / 'frontend.json').read_text())
    t = d / 'tampered'; t.mkdir(exist_ok=True)
    (t / 'frontend.json').write_text(json.dumps(fe))
    shutil.copy(d / 'student_wave.onnx', t / 'student_wave_int8.onnx')    # a valid audio-in model, other bytes
    r = run_page(f'{url}/demo.html?audio=clip.wav&frontend=tampered/frontend.json&model=tampered/student_wave_int8.onnx')
    assert r['state'] == 'error' and 'student_wave_int8.onnx: SHA-256 differs from the one frontend.json recorded' \
        in r['status'] and '\n' not in r['status'], r['status']
    for bad in (['x', 9], [9, 1], [1]):
        (t / 'labels.json').write_text(json.dumps(dict(fe, labels=dict(range=bad))))
        r = run_page(f'{url}/demo.html?audio=clip.wav&frontend=tampered/labels.json&model=student_wave_int8.onnx')
        assert r['state'] == 'error' and 'frontend.json: labels.range must be two finite numbers' in r['status'], r['status']
    (t / 'graph.onnx').write_bytes(b'not the graph frontend.json names')
    harm = dict(graph='graph.onnx', sha256='0' * 64, rows=16, input=dict(name='harmony', shape=['batch', 16, 32]))
    (t / 'harmony.json').write_text(json.dumps(dict(fe, harmony=harm)))
    r = run_page(f'{url}/demo.html?audio=clip.wav&frontend=tampered/harmony.json&model=student_wave_int8.onnx')
    assert r['state'] == 'error' and 'graph.onnx: SHA-256 differs from the one frontend.json recorded' in r['status'], \
        r['status']

@pytest.fixture(scope='module')
def harmony_site(tmp_path_factory):
    "A transcriber + student bundle (`student_harmony=true`, smoke preset) served with the demo."
    from conftest import cli_here
    out = tmp_path_factory.mktemp('harmony') / 'run'
    r = cli_here('run', '--preset', 'smoke', '--out', str(out), '--set', 'harmony=true', 'student_harmony=true', 'kd_corpus=16', 'n_clips=16')
    assert r.returncode == 0, r.stderr[-3000:]
    d = build(tmp_path_factory.mktemp('hdemo'), out / 'export')
    from distilled_vit.data import synth_clip, sample_music_params
    sf.write(str(d / 'clip.wav'), synth_clip(sample_music_params(np.random.default_rng(11)), 16000, 7.0), 16000, subtype='PCM_16')
    with Server(d) as url: yield out / 'export', d, url

def test_transcriber_and_student_in_the_page(harmony_site):
    """The page runs the bundle's harmony.onnx (transcriber + rows, once per clip) and feeds the rows' windows to the
    audio-in student as its second input: the same windows and values as Python's `predict` on the same bundle. The
    tolerance is wider than the plain student's: the page resamples to 22.05 kHz with Web Audio, Python with soxr."""
    export, d, url = harmony_site
    assert (d / 'harmony.onnx').is_file()
    for variant, tol in (('wave_fp32', 2e-3), ('wave_int8', 1e-2)):
        r = run_page(f"{url}/demo.html?audio=clip.wav&model={json.loads((d / 'frontend.json').read_text())['models'][variant]}")
        assert r['state'] == 'done', r['status']
        web, py = json.loads(r['text']), predict(d / 'clip.wav', export, variant=variant)
        assert [w['start_s'] for w in web['windows']] == [w['start_s'] for w in py['windows']]
        assert np.abs(_windows(web) - _windows(py)).max() <= tol, (variant, np.abs(_windows(web) - _windows(py)).max())
    (d / 'harmony.onnx').unlink()                                          # served without its graph: one clear line
    r = run_page(f'{url}/demo.html?audio=clip.wav&model=student_wave.onnx')
    assert r['state'] == 'error' and 'harmony.onnx: HTTP 404' in r['status'] and '\n' not in r['status'], r['status']

def test_bundle_files_lie_beside_its_frontend_json(site, harmony_site):
    """`?frontend=` alone loads a whole bundle from its folder: the model frontend.json names and its harmony.onnx come
    from beside that frontend.json, not from the page's folder (which holds another export's model of the same name and
    no harmony.onnx); a file name reaching outside that folder is refused with one line, as `predict` refuses it."""
    _, d, url = site
    export = harmony_site[0]
    hb = d / 'hb'; hb.mkdir(exist_ok=True)
    fe = json.loads((export / 'frontend.json').read_text())
    for f in ['frontend.json', 'harmony.onnx', *fe['models'].values()]: shutil.copy(export / f, hb / f)
    assert not (d / 'harmony.onnx').exists() and (d / fe['models'][fe['default_model']]).is_file()
    r = run_page(f'{url}/demo.html?audio=clip.wav&frontend=hb/frontend.json')
    assert r['state'] == 'done', r['status']
    web, py = json.loads(r['text']), predict(d / 'clip.wav', export)
    assert web['model'] == fe['models'][fe['default_model']] == 'student_wave_int8.onnx'
    assert [w['start_s'] for w in web['windows']] == [w['start_s'] for w in py['windows']]
    assert np.abs(_windows(web) - _windows(py)).max() <= 1e-2
    (hb / 'outside.json').write_text(json.dumps(dict(fe, models=dict(fe['models'], wave_int8='../student_wave_int8.onnx'))))
    r = run_page(f'{url}/demo.html?audio=clip.wav&frontend=hb/outside.json')
    assert r['state'] == 'error' and "frontend.json: model file of variant 'wave_int8' \"../student_wave_int8.onnx\" is " \
        'outside the bundle folder' in r['status'] and '\n' not in r['status'], r['status']

def test_own_model_picker_takes_a_harmony_bundle(harmony_site, tmp_path):
    """"Use your own model" takes the files of a harmony bundle chosen together (the model is the one .onnx besides the
    harmony graph, or the default one among all of an export folder's files), gives what `predict` gives; refuses with one line
    a set without its harmony.onnx or frontend.json (naming it) and a model whose SHA-256 is not the recorded one."""
    export, d, url = harmony_site
    fe = json.loads((export / 'frontend.json').read_text())
    chosen = [export / 'frontend.json', export / fe['models']['wave_fp32'], export / 'harmony.onnx']
    for files, variant, tol in ((chosen, 'wave_fp32', 2e-3),
                                ([p for p in export.iterdir() if p.is_file()], 'wave_int8', 1e-2)):
        r = run_page(f'{url}/demo.html', files=[('bundle', files), ('audio', [d / 'clip.wav'])])
        assert r['state'] == 'done', (variant, r['status'])
        web, py = json.loads(r['text']), predict(d / 'clip.wav', export, variant=variant)
        assert web['model'] == fe['models'][variant], (variant, web['model'])
        assert [w['start_s'] for w in web['windows']] == [w['start_s'] for w in py['windows']]
        assert np.abs(_windows(web) - _windows(py)).max() <= tol, (variant, np.abs(_windows(web) - _windows(py)).max())
    (tmp_path / 'student_wave_int8.onnx').write_bytes((export / fe['models']['wave_fp32']).read_bytes())
    for files, line in (
            (chosen[:2], 'harmony.onnx missing: this student hears harmony rows; choose it together with frontend.json'),
            (chosen[1:], 'frontend.json missing: choose it together with the model'),
            ([chosen[0], tmp_path / 'student_wave_int8.onnx', chosen[2]],
             'student_wave_int8.onnx: SHA-256 differs from the one frontend.json recorded')):
        r = run_page(f'{url}/demo.html', files=[('bundle', files), ('audio', [d / 'clip.wav'])])
        assert r['state'] == 'error' and r['status'].startswith(line) and '\n' not in r['status'], r['status']
