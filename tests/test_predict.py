"""`predict`: ONNX Runtime only (torch never imported), any length and hop, same numbers as the PyTorch student, the
command line, and one clear error per bad audio file or bad model."""
import json, os, shlex, shutil, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
import soundfile as sf
from conftest import write_tone, cli, ROOT
from distilled_vit.core import get_config, ConfigError
from distilled_vit.audio import AudioError, audio_windows
from distilled_vit.inference import predict, load_predictor, ModelBundleError, window_starts
from smoke_export import smoke_export

def _music(path, seconds, sr=22050, channels=2, seed=3):
    from distilled_vit.data import synth_clip, sample_music_params
    y = synth_clip(sample_music_params(np.random.default_rng(seed)), sr, seconds)
    sf.write(str(path), np.stack([y] * channels, 1) if channels > 1 else y, sr)
    return path

def _subprocess(code: str):
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env=dict(os.environ))

# ---------------------------------------------------------------- torch-free, same numbers

def test_predict_runs_without_torch_and_matches_pytorch(tmp_path):
    s = smoke_export()
    wav = _music(tmp_path / 'song.wav', 9.0)
    code = (f"import sys, json\nfrom distilled_vit.inference import predict\n"
            f"r = predict({str(wav)!r}, {str(s.export_dir)!r}, variant='fp32')\n"
            f"print(json.dumps(dict(result=r, torch='torch' in sys.modules, mods=sorted(m for m in sys.modules if m.startswith('torch')))))")
    p = _subprocess(code)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out['torch'] is False, out['mods']
    r = out['result']
    # the same windows through the PyTorch student (front end of 01_audio, normalisation of the training split)
    import torch
    X, _ = audio_windows(wav, get_config('smoke', max_windows=0))
    with torch.no_grad(): ref = s.student(torch.from_numpy(s.data.norm(X))[:, None]).numpy()
    ref = np.clip(ref, -1, 1)                      # predict reports on the labels' scale (here -1..1), clipped to it
    got = np.array([[w['valence'], w['arousal']] for w in r['windows']])
    assert got.shape == ref.shape and np.abs(got - ref).max() <= 1e-4
    assert r['valence'] == pytest.approx(ref[:, 0].mean(), abs=1e-5) and r['arousal'] == pytest.approx(ref[:, 1].mean(), abs=1e-5)

_BLOCK = "import sys\nsys.modules['torch'] = None; sys.modules['librosa'] = None   # any import of them now fails\n"

def test_audio_in_model_needs_neither_torch_nor_librosa(tmp_path):
    "The bundle's default (audio-in) model: predict runs where torch and librosa cannot even be imported, and gives the log-mel model's numbers."
    s = smoke_export()
    wav = _music(tmp_path / 'song.wav', 9.0)                   # 22.05 kHz stereo: resampled on the predictor's side
    code = (_BLOCK + f"import json\nfrom distilled_vit.inference import predict\n"
            f"r = predict({str(wav)!r}, {str(s.export_dir)!r}, variant='wave_fp32')\n"
            f"d = predict({str(wav)!r}, {str(s.export_dir)!r})\nprint(json.dumps(dict(result=r, default=d['variant'])))")
    p = _subprocess(code)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out['default'] == json.loads((s.export_dir / 'frontend.json').read_text())['default_model'] in ('wave_int8', 'wave_fp32')
    mel = predict(wav, s.export_dir, variant='fp32')         # librosa front end + log-mel model, in this process
    got = np.array([[w['valence'], w['arousal']] for w in out['result']['windows']])
    ref = np.array([[w['valence'], w['arousal']] for w in mel['windows']])
    assert got.shape == ref.shape and np.abs(got - ref).max() <= 1e-4
    assert [w['start_s'] for w in out['result']['windows']] == [w['start_s'] for w in mel['windows']]

def test_int8_runs_one_window_per_call_whatever_its_name(tmp_path):
    "Dynamic INT8 scales a call's activations together: predict runs such a model one window per call, recognised from its graph."
    s = smoke_export()
    wav = _music(tmp_path / 'song.wav', 6.0, sr=16000, channels=1)
    for f in s.export_dir.glob('*'): shutil.copy(f, tmp_path)
    (tmp_path / 'student_wave_int8.onnx').rename(tmp_path / 'renamed.onnx')   # not a variant frontend.json knows
    p = load_predictor(tmp_path / 'renamed.onnx')
    assert p.one_per_call and not load_predictor(s.export_dir, 'wave_fp32').one_per_call
    from distilled_vit.audio import load_audio, wave_windows
    X, _, _ = wave_windows(load_audio(wav, p.cfg.sample_rate), p.cfg)
    name = p.session.get_inputs()[0].name
    single = np.concatenate([p.session.run(None, {name: X[i:i + 1]})[0] for i in range(len(X))])
    got = np.array([[w['valence'], w['arousal']] for w in predict(wav, p)['windows']])
    assert len(X) > 1 and np.abs(got - p.to_labels(single)).max() <= 1e-6

def test_wave_model_of_another_front_end_is_refused(tmp_path):
    s = smoke_export()
    fe = json.loads((s.export_dir / 'frontend.json').read_text())
    fe['frontend']['n_fft'] = 2 * fe['frontend']['n_fft']     # the model's window length no longer matches
    for f in s.export_dir.glob('*.onnx'): shutil.copy(f, tmp_path)
    (tmp_path / 'frontend.json').write_text(json.dumps(fe))
    with pytest.raises(ModelBundleError, match='student_wave_int8.onnx: model takes audio windows of .* samples, but frontend.json'):
        load_predictor(tmp_path, 'wave_int8')

def test_cli_predict_without_torch(tmp_path):
    s = smoke_export()
    wav = _music(tmp_path / 'clip.flac', 4.0, channels=1)
    code = (_BLOCK + f"from distilled_vit.cli import main\n"
            f"rc = main(['predict', {str(wav)!r}, '--model', {str(s.export_dir)!r}, '--hop', '0.5', '--plot', "
            f"{str(tmp_path / 'c.png')!r}])\nprint('RC', rc, 'TORCH', sys.modules.get('torch') is not None)")
    p = _subprocess(code)
    assert p.returncode == 0, p.stderr
    assert 'RC 0 TORCH False' in p.stdout and 'valence' in p.stdout
    assert (tmp_path / 'c.png').read_bytes()[:4] == b'\x89PNG'

def test_cli_predict_bad_audio_is_one_line(tmp_path):
    s = smoke_export()
    (tmp_path / 'bad.wav').write_text('definitely not audio')
    p = _subprocess(f"import sys\nfrom distilled_vit.cli import main\n"
                    f"sys.exit(main(['predict', {str(tmp_path / 'bad.wav')!r}, '--model', {str(s.export_dir)!r}]))")
    assert p.returncode == 2
    assert p.stderr.strip().startswith('error: ') and p.stderr.strip().count('\n') == 0, p.stderr
    assert 'bad.wav: cannot decode audio' in p.stderr and 'Traceback' not in p.stderr

# ---------------------------------------------------------------- lengths, hops, model locations

def test_any_length_and_hop(tmp_path):
    s = smoke_export(); cfg = s.cfg
    spf = cfg.hop_length / cfg.sample_rate
    short = predict(write_tone(tmp_path / 'short.wav', seconds=0.3), s.export_dir)
    assert short['padded'] is True and len(short['windows']) == 1
    assert short['windows'][0]['end_s'] == pytest.approx(0.3, abs=1e-3)
    long = predict(_music(tmp_path / 'long.ogg', 25.0, sr=16000, channels=1), s.export_dir)
    n_frames = 1 + int(25.0 * cfg.sample_rate) // cfg.hop_length
    assert len(long['windows']) == len(window_starts(n_frames, cfg.win_frames, cfg.win_hop_frames))
    assert long['windows'][-1]['end_s'] == pytest.approx(25.0, abs=1e-3)         # end-aligned last window
    assert long['hop_s'] == pytest.approx(cfg.win_hop_frames * spf, abs=1e-3)
    fine = predict(tmp_path / 'long.ogg', s.export_dir, hop_seconds=0.1)
    assert len(fine['windows']) > 3 * len(long['windows'])
    lo, hi = fine['label_range']; assert (lo, hi) == (-1.0, 1.0)               # the bundle's declared label range
    assert all(lo <= w['valence'] <= hi and lo <= w['arousal'] <= hi for w in fine['windows'])
    starts = [w['start_s'] for w in fine['windows']]
    assert starts == sorted(starts)
    h = max(1, round(0.1 * cfg.sample_rate / cfg.hop_length))                     # a non-default hop, by hand: 0.1 s in frames
    assert starts == [round(st * spf, 3) for st in window_starts(n_frames, cfg.win_frames, h)]
    assert fine['hop_s'] == pytest.approx(h * spf, abs=1e-3)

def test_model_locations_and_variants(tmp_path):
    s = smoke_export()
    wav = write_tone(tmp_path / 'a.wav', seconds=2.0)
    by_dir = predict(wav, s.export_dir)
    assert by_dir['variant'] == json.loads((s.export_dir / 'frontend.json').read_text())['default_model']
    assert predict(wav, s.run.path)['windows'] == by_dir['windows']               # a run folder works too
    f32 = predict(wav, s.export_dir / 'student.onnx')
    assert f32['variant'] == 'fp32' and f32['windows'] == predict(wav, s.export_dir, variant='fp32')['windows']
    i8 = predict(wav, s.export_dir, variant='int8')
    assert abs(i8['valence'] - f32['valence']) < 0.1                             # quantised, close
    pred = load_predictor(s.export_dir)
    assert predict(wav, pred) == by_dir                                          # a loaded predictor is reusable

def test_plot(tmp_path):
    s = smoke_export()
    r = predict(write_tone(tmp_path / 'a.wav', seconds=3.0), s.export_dir, plot=tmp_path / 'sub' / 'curve.png')
    assert Path(r['plot']).read_bytes()[:4] == b'\x89PNG'

def test_plot_never_replaces_a_file_we_did_not_write(tmp_path):
    "`--plot` naming the input audio, a user's text file, a folder, a FIFO or a device: one line, the bytes unchanged."
    import stat
    s = smoke_export()
    wav = write_tone(tmp_path / 'song.wav', seconds=3.0); song = wav.read_bytes()
    notes = tmp_path / 'notes.txt'; notes.write_text('my notes')
    os.mkfifo(tmp_path / 'fifo')
    targets = [(wav, 'is the input file'), (notes, 'was not written by distilled-vit'), (tmp_path, 'is a folder'),
               (tmp_path / 'fifo', 'not a regular file')]
    try: os.mknod(tmp_path / 'null', 0o666 | stat.S_IFCHR, os.makedev(1, 3)); targets.append((tmp_path / 'null', 'not a regular file'))
    except PermissionError: pass                         # not root: the FIFO stands for special files
    calls = [(str(t), why, extra) for t, why in targets for extra in ([], ['--overwrite'])
             if not (why == 'was not written by distilled-vit' and extra)]
    p = _subprocess(f"import contextlib, io, json\nfrom distilled_vit.cli import main\nout = []\n"
                    f"for t, _, extra in {calls!r}:\n"
                    f"    e = io.StringIO()\n    with contextlib.redirect_stderr(e): rc = main(['predict', {str(wav)!r}, '--model', "
                    f"{str(s.export_dir)!r}, '--plot', t] + extra)\n    out.append((rc, e.getvalue()))\nprint(json.dumps(out))")
    assert p.returncode == 0, p.stderr
    for (target, why, extra), (rc, err) in zip(calls, json.loads(p.stdout.strip().splitlines()[-1])):
        assert rc == 2 and err.count('\n') == 1 and why in err and 'Traceback' not in err, (target, extra, err)
    assert wav.read_bytes() == song and notes.read_text() == 'my notes'
    assert stat.S_ISFIFO((tmp_path / 'fifo').stat().st_mode)
    if (tmp_path / 'null').exists(): assert stat.S_ISCHR((tmp_path / 'null').stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith('.')) == []       # no temp file left
    r = predict(wav, s.export_dir, plot=notes, overwrite=True)                # asked for: replaced by a PNG
    assert notes.read_bytes()[:4] == b'\x89PNG' and Path(r['plot']) == notes
    predict(wav, s.export_dir, plot=notes)                                    # our own PNG: rewritten without asking

def _tiny_onnx(dst, nodes, name, elem, shape, init=()):
    "A one-input ONNX model beside the smoke bundle's frontend.json (input `name` of `elem` type and `shape`, output [batch, 2])."
    import onnx
    from onnx import helper, TensorProto
    g = helper.make_graph(nodes, 'g', [helper.make_tensor_value_info(name, elem, shape)],
                          [helper.make_tensor_value_info('valence_arousal', TensorProto.FLOAT, ['batch', 2])], list(init))
    shutil.copy(smoke_export().export_dir / 'frontend.json', dst.parent / 'frontend.json')
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)]), str(dst))
    return dst

def test_float64_model_input_is_one_line(tmp_path):
    "An ONNX model whose input is float64 (the audit's traceback) is refused when loaded, naming the file and the type."
    from onnx import helper, TensorProto, numpy_helper
    shp = json.loads((smoke_export().export_dir / 'frontend.json').read_text())['input']['shape'][1:]
    W = numpy_helper.from_array(np.zeros((int(np.prod(shp)), 2), np.float32), 'W')
    f = _tiny_onnx(tmp_path / 'student.onnx', [helper.make_node('Cast', ['mel'], ['f'], to=TensorProto.FLOAT),
                                               helper.make_node('Flatten', ['f'], ['flat']),
                                               helper.make_node('MatMul', ['flat', 'W'], ['valence_arousal'])],
                   'mel', TensorProto.DOUBLE, ['batch'] + shp, [W])
    with pytest.raises(ModelBundleError, match=r"student.onnx: model input is tensor\(double\), expected tensor\(float\)"):
        load_predictor(f)

def test_dynamic_window_length_is_named(tmp_path):
    "An audio-in ONNX model whose window length is a dynamic dimension is refused naming it (the audit saw 'n samples')."
    from onnx import helper, TensorProto
    f = _tiny_onnx(tmp_path / 'student_wave.onnx', [helper.make_node('ReduceMean', ['audio'], ['m'], axes=[1], keepdims=1),
                                                    helper.make_node('Concat', ['m', 'm'], ['valence_arousal'], axis=1)],
                   'audio', TensorProto.FLOAT, ['batch', 'n'])
    with pytest.raises(ModelBundleError, match=r"student_wave.onnx: model input has a dynamic window length \('n'\)"):
        load_predictor(f)

def test_closed_pipe_is_quiet(tmp_path):
    "`predict ... --json_out | head -1`: the reader leaves early; no 'Broken pipe' error and no traceback (exit 141, as Unix tools)."
    s = smoke_export()
    wav = write_tone(tmp_path / 'long.wav', seconds=30.0)                  # ~1,500 windows at a 20 ms hop: far more than a pipe holds
    cmd = (f"{shlex.quote(sys.executable)} -c 'import sys; from distilled_vit.cli import main; sys.exit(main())' predict "
           f"{shlex.quote(str(wav))} --model {shlex.quote(str(s.export_dir))} --hop 0.02 --json_out | head -1; echo \"rc ${{PIPESTATUS[0]}}\" >&2")
    p = subprocess.run(['bash', '-c', cmd], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert p.stdout.strip() == '{' and p.stderr.strip().splitlines()[-1] == 'rc 141', p.stderr[-1000:]
    assert 'Broken pipe' not in p.stderr and 'Traceback' not in p.stderr and 'Exception ignored' not in p.stderr, p.stderr[-1000:]

# ---------------------------------------------------------------- bad inputs: one clear line naming the file

def _copy_bundle(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst); return dst

def _other_shape_model(s, dst: Path):
    "An ONNX student for 16 mel bins (the bundle describes 32), under the bundle's file name."
    import torch
    from distilled_vit.student import create_student
    from distilled_vit.export import export_onnx
    cfg = get_config('smoke', n_mels=16)
    export_onnx(create_student(cfg).eval(), torch.zeros(2, 1, 16, cfg.win_frames), dst)

def _bad_bundle(kind, s, tmp_path):
    "Make a broken model folder of `kind`; returns (model argument, expected error text)."
    b = _copy_bundle(s.export_dir, tmp_path / 'bundle')
    fe = json.loads((b / 'frontend.json').read_text())
    default = b / fe['models'][fe['default_model']]
    if kind == 'missing folder': return tmp_path / 'nowhere', 'nowhere: model folder or file does not exist'
    if kind == 'no bundle': (b / 'frontend.json').unlink(); return b, 'no exported model here'
    if kind == 'missing onnx': default.unlink(); return b, f'{default.name}: model file does not exist'
    if kind == 'corrupt onnx': default.write_bytes(b'\x08\x01 not a protobuf at all'); return b, f'{default.name}: not a valid ONNX model'
    if kind == 'truncated onnx':
        raw = default.read_bytes(); default.write_bytes(raw[:len(raw) // 2]); return b, f'{default.name}: not a valid ONNX model'
    if kind == 'other input shape':
        _other_shape_model(s, default)
        return b, f"{default.name}: model expects input ['batch', 1, 16, {s.cfg.win_frames}], but frontend.json describes windows of 32 mel bins"
    if kind == 'corrupt json': (b / 'frontend.json').write_text('{"format": '); return b, 'frontend.json: not a readable JSON model description'
    if kind == 'foreign json': (b / 'frontend.json').write_text('{"format": "something-else"}'); return b, 'not a distilled_vit export description'
    if kind == 'missing field':
        del fe['normalisation']; (b / 'frontend.json').write_text(json.dumps(fe)); return b, 'missing field(s) normalisation'
    if kind == 'bad stats':
        fe['normalisation']['std'] = fe['normalisation']['std'][:-1]; (b / 'frontend.json').write_text(json.dumps(fe))
        return b, 'normalisation statistics must be 32 finite values each'
    if kind == 'bad setting':
        fe['frontend']['n_mels'] = 'many'; (b / 'frontend.json').write_text(json.dumps(fe)); return b, "bad front-end setting"
    if kind == 'setting out of range':
        fe['frontend']['n_fft'] = -1; (b / 'frontend.json').write_text(json.dumps(fe)); return b, "'n_fft' must be ≥ 16"
    if kind == 'inconsistent settings':
        fe['frontend']['fmin'] = 9000.0; (b / 'frontend.json').write_text(json.dumps(fe)); return b, 'fmin < min(fmax, sample_rate / 2)'
    if kind == 'tampered sample rate':           # loads, but every prediction would silently differ
        fe['frontend']['sample_rate'] = 22050; (b / 'frontend.json').write_text(json.dumps(fe))
        return b, 'frontend.json: front-end settings or normalisation differ from those recorded at export'
    if kind == 'model outside bundle':           # a valid model one folder up
        shutil.copy(default, tmp_path / default.name); fe['models'][fe['default_model']] = f'../{default.name}'
        (b / 'frontend.json').write_text(json.dumps(fe))
        return b, f"model file of variant {fe['default_model']!r} '../{default.name}' is outside the bundle folder"
    if kind == 'onnx without bundle':
        lone = tmp_path / 'lone'; lone.mkdir(); shutil.copy(b / 'student.onnx', lone)
        return lone / 'student.onnx', 'no frontend.json beside the model'
    raise ValueError(kind)

BAD_BUNDLES = ['missing folder', 'no bundle', 'missing onnx', 'corrupt onnx', 'truncated onnx', 'other input shape',
               'corrupt json', 'foreign json', 'missing field', 'bad stats', 'bad setting', 'setting out of range',
               'inconsistent settings', 'tampered sample rate', 'model outside bundle', 'onnx without bundle']

@pytest.mark.parametrize('kind', BAD_BUNDLES)
def test_bad_model_is_one_clear_error(tmp_path, kind):
    s = smoke_export()
    wav = write_tone(tmp_path / 'a.wav')
    model, msg = _bad_bundle(kind, s, tmp_path)
    with pytest.raises(ModelBundleError) as e: predict(wav, model)
    text = str(e.value)
    assert msg in text, text
    assert '\n' not in text

@pytest.mark.parametrize('kind,msg', [
    ('text', 'cannot decode audio'), ('missing', 'file does not exist'), ('empty', 'file is empty'),
    ('truncated', 'truncated file'), ('directory', 'is a directory'),
])
def test_bad_audio_is_one_clear_error(tmp_path, kind, msg):
    s = smoke_export()
    p = tmp_path / 'x.wav'
    if kind == 'text': p.write_text('not audio')
    elif kind == 'empty': p.write_bytes(b'')
    elif kind == 'truncated': raw = write_tone(tmp_path / 'full.wav', 2.0).read_bytes(); p.write_bytes(raw[:len(raw) // 3])
    elif kind == 'directory': p.mkdir()
    with pytest.raises(AudioError) as e: predict(p, s.export_dir)
    assert f'x.wav: {msg}' in str(e.value) and '\n' not in str(e.value)

@pytest.mark.parametrize('hop', [0, -1, float('nan'), 'soon'])
def test_bad_hop(tmp_path, hop):
    s = smoke_export()
    with pytest.raises(ConfigError, match='hop must be a positive number of seconds'):
        predict(write_tone(tmp_path / 'a.wav'), s.export_dir, hop_seconds=hop)

def test_unknown_variant(tmp_path):
    s = smoke_export()
    with pytest.raises(ModelBundleError, match="no model variant 'int4'"):
        predict(write_tone(tmp_path / 'a.wav'), s.export_dir, variant='int4')

# ---------------------------------------------------------------- many files: one CSV, bad files skipped and counted

def _toy_clips(tmp_path, bad=False):
    "`score.toy_bundle` (predictions known: no training) and a folder of its clips; returns (bundle, folder, {file: (V, A)})."
    from distilled_vit.scoring import toy_bundle, toy_clip
    d = tmp_path / 'clips'; (d / 'sub').mkdir(parents=True); (d / '.hidden').mkdir()
    known = {d / 'a.wav': (0.625, -0.25), d / 'sub' / 'b.wav': (-0.375, 0.5), tmp_path / 'c.wav': (0.0, 1.0)}
    for f, va in known.items(): toy_clip(f, *va)
    toy_clip(d / '.hidden' / 'x.wav', 0.5, 0.5); (d / 'notes.txt').write_text('no audio suffix: not read')
    if bad: (d / 'bad.wav').write_text('not audio'); (d / 'sub' / 'empty.wav').write_bytes(b'')
    return toy_bundle(tmp_path / 'bundle'), d, known

def _csv(text):
    import csv, io
    return list(csv.DictReader(io.StringIO(text)))

def test_predict_many_files_one_csv(tmp_path):
    "A folder (recursive, hidden folders and other suffixes left out) and a file: one row each, the toy model's known values."
    b, d, known = _toy_clips(tmp_path)
    r = cli('predict', str(d), str(tmp_path / 'c.wav'), '--model', str(b))
    assert r.returncode == 0, r.stderr
    rows = _csv(r.stdout)
    assert [x['file'] for x in rows] == [str(f) for f in known]                  # folder sorted, then the file named
    for x, (v, a) in zip(rows, known.values()):                                   # 1.5 s: 47 frames, windows at 0 and 15
        assert (float(x['valence']), float(x['arousal']), x['windows'], x['seconds']) == (v, a, '2', '1.5'), x
    assert 'predicted 3 of 3 file(s)' in r.stderr and 'not recorded' in r.stderr  # a bundle without training_data

def test_predict_many_files_skips_bad_ones_and_exits_1(tmp_path):
    b, d, known = _toy_clips(tmp_path, bad=True)
    r = cli('predict', str(d), '--model', str(b), '--csv', str(tmp_path / 'out.csv'), '--curves')
    assert r.returncode == 1 and r.stdout == '' and 'Traceback' not in r.stderr, r.stderr
    assert f"skipped: {d / 'bad.wav'}: cannot decode audio" in r.stderr
    assert f"skipped: {d / 'sub' / 'empty.wav'}: file is empty" in r.stderr
    assert 'predicted 2 of 4 file(s); 2 skipped (named above)' in r.stderr
    rows = _csv((tmp_path / 'out.csv').read_text())
    assert [(x['file'], x['start_s']) for x in rows] == [(str(f), s) for f in list(known)[:2] for s in ('', '0', '0.48')]
    for x in rows:                                                                # window rows: the same known values
        v, a = known[Path(x['file'])]
        assert (float(x['valence']), float(x['arousal'])) == (v, a)
        assert (x['windows'], x['seconds']) == (('2', '1.5') if x['start_s'] == '' else ('', ''))

def test_predict_one_file_keeps_its_output(tmp_path):
    "One file: today's line on stdout, unchanged; what the model was trained on goes to stderr, after it."
    b, d, _ = _toy_clips(tmp_path)
    r = cli('predict', str(d / 'a.wav'), '--model', str(b))
    assert r.returncode == 0 and r.stdout == f"{d / 'a.wav'}: valence +0.625, arousal -0.250 (2 windows)\n", r.stdout
    assert r.stderr.strip().startswith('model: ') and r.stderr.strip().count('\n') == 0, r.stderr
    r = cli('predict', str(d), '--model', str(b), '--plot', str(tmp_path / 'x.png'))
    assert r.returncode == 2 and r.stderr.strip() == 'error: --plot and --json_out take one audio file; several files give a CSV (--csv FILE, --curves)'


def test_non_finite_model_outputs_are_an_error_not_a_prediction(tmp_path):
    """A damaged model whose outputs are NaN used to print `valence +nan` (exit 0) and bare NaN in --json_out: now one
    line naming the model and the file."""
    import onnx
    from onnx import numpy_helper
    from distilled_vit.scoring import toy_bundle, toy_clip
    b = toy_bundle(tmp_path / 'b'); clip = toy_clip(tmp_path / 'c.wav', 0.25, -0.5)
    assert predict(clip, b)['valence'] == pytest.approx(0.25, abs=1e-5)          # the toy model as made
    m = onnx.load(str(b / 'toy.onnx'))
    for i, t in enumerate(m.graph.initializer):
        if t.name == 'two': m.graph.initializer[i].CopyFrom(numpy_helper.from_array(np.float32(np.nan), 'two'))
    onnx.save(m, str(b / 'toy.onnx'))
    with pytest.raises(ModelBundleError, match=r"toy.onnx: the model gave non-finite outputs for .*c.wav"):
        predict(clip, b)
    r = cli('predict', str(clip), '--model', str(b), '--json_out')
    assert r.returncode == 2 and r.stdout == '' and 'non-finite outputs' in r.stderr, (r.stdout, r.stderr)
