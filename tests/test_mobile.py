"""ExecuTorch: the audio-in student lowered to XNNPACK `.pte` programs (fp32 and 8-bit), run by ExecuTorch's own runtime,
checked against the eager model; a student that hears harmony gets `harmony.pte` too (the transcriber and the rows), and
the phone path (harmony.pte -> student_wave.pte) gives `predict`'s valence and arousal; a stage without ExecuTorch says
so in one line and writes everything else."""
import io, contextlib, hashlib, json, os
from pathlib import Path
from types import SimpleNamespace
import numpy as np
import pytest
import torch
from distilled_vit.rundir import RunDir
from distilled_vit.core import DIMS
from distilled_vit.audio import window_samples
from distilled_vit import export as E
from distilled_vit.wave import WaveHarmonyStudent
from smoke_export import smoke_export

pytestmark = pytest.mark.skipif(bool(E.executorch_missing()) and not os.environ.get('CI'),
                                reason='executorch not installed (the [mobile] extra; make test installs it)')

def test_executorch_is_installed_by_the_test_command():
    assert E.executorch_missing() == ''

def test_pte_programs_run_in_executorch_and_match_the_eager_model(mobile_harmony):
    """The student's two programs (here a student that hears the rows: the programs take two inputs, the audio-only
    student's one; the lowering, the parity check and the table are the same code for both), run by ExecuTorch's own
    runtime. One lowered student serves the whole file: lowering costs ~30 s a program."""
    m = mobile_harmony; cfg, run, ex, log = m.cfg, m.run, m.ex, m.log
    a32, a8 = ex['artefacts']['pte_wave_fp32'], ex['artefacts']['pte_wave_int8']
    assert ex['executorch']['written'] and ex['executorch']['input']['shape'][0] == [1, window_samples(cfg)]
    assert a32['max_abs_diff'] <= E.PARITY_TOLERANCE                       # fp32 program = eager student on the same audio
    assert 0 < a8['max_abs_diff'] < 0.1 and a8['size_mb'] < a32['size_mb']  # 8-bit weights: close, smaller, not identical
    for a in (a32, a8):
        assert (run.path / a['path']).is_file() and a['latency_ms_b1'] > 0 and np.isfinite(a['ccc_drop'])
    assert 'pte_wave_fp32' in log and 'pte_wave_int8' in log
    # the runtime itself, on one window of real-looking audio (and its rows), against the eager audio-in student
    meth = E.load_pte(run.path / a32['path'])
    A, _, _, _, R = E.wave_check_set(cfg, m.data, harmony=E.ort_session(m.out / 'harmony.onnx', 1))
    x, r = torch.from_numpy(A[:1]), torch.from_numpy(R[:1])
    want = WaveHarmonyStudent(m.student, cfg, m.data.norm, m.data.hnorm).eval()(x, r).detach()
    got = meth.execute([x, r])[0]
    assert got.shape == (1, len(DIMS)) and torch.allclose(got, want, atol=1e-4)

def test_a_file_that_is_not_a_program_is_one_clear_error(tmp_path):
    bad = tmp_path / 'model.pte'; bad.write_bytes(b'PK\x03\x04 not a flatbuffer')
    with pytest.raises(E.ExportError, match='model.pte: not a loadable ExecuTorch program'):
        E.load_pte(bad)
    with pytest.raises(E.ExportError, match='missing.pte: ExecuTorch program does not exist'):
        E.load_pte(tmp_path / 'missing.pte')

def test_without_executorch_the_stage_says_so_and_writes_the_rest(monkeypatch, tmp_path):
    s = smoke_export()
    cfg = s.cfg.__class__(**{**s.cfg.to_dict(), 'export_pte': True})
    monkeypatch.setattr(E, 'executorch_missing', lambda: 'executorch is not installed (test)')
    with contextlib.redirect_stdout(io.StringIO()) as out:
        ex = E.export_stage(cfg, RunDir(tmp_path / 'run', cfg), s.student, s.data, progress=True)
    lines = [l for l in out.getvalue().splitlines() if 'ExecuTorch' in l]
    assert lines == ['export: ExecuTorch programs skipped: executorch is not installed (test)']
    assert ex['executorch'] == {**ex['executorch'], 'written': False, 'reason': 'executorch is not installed (test)', 'programs': {}}
    assert 'pte_wave_fp32' not in ex['artefacts'] and ex['checks']['wave_parity_ok']
    assert ex['executorch']['input']['shape'] == [1, window_samples(cfg)]     # the audio-only student: one input

class _DataDependent(torch.nn.Module):
    "A model torch.export cannot capture (control flow on a tensor's value): its lowering fails."
    def forward(self, x): return x * 2 if x.sum() > 0 else x - 1

def test_the_lowering_worker_restores_the_thread_count(tmp_path):
    """The worker function (run here, on a small model: the student's lowering takes ~25 s and the fixture already ran
    it in spawned workers, fp32 and 8-bit in their order, checked above) leaves torch's thread count as it found it."""
    before = torch.get_num_threads(); torch.set_num_threads(2)
    try:
        E._pte_job((torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)).eval(),
                    torch.ones(1, 4), tmp_path / 'small.pte', False))
        assert torch.get_num_threads() == 2 and (tmp_path / 'small.pte').stat().st_size > 0
        out = E.load_pte(tmp_path / 'small.pte').execute([torch.ones(1, 4)])[0]
        assert out.shape == (1, 2)
    finally: torch.set_num_threads(before)

def test_a_failed_lowering_is_one_export_error_naming_the_program(tmp_path):
    with pytest.raises(E.ExportError, match=r'bad\.pte: lowering to ExecuTorch failed \('):
        E._pte_job((_DataDependent(), torch.ones(1, 4), tmp_path / 'bad.pte', False))
    assert not (tmp_path / 'bad.pte').exists()


@pytest.fixture(scope='module')
def mobile_harmony(tmp_path_factory):
    """A smoke student that hears the harmony rows (the no-KD one: no teacher needed), exported with ExecuTorch on: its
    two programs and `harmony.pte` are lowered side by side (about a minute on 2 cores), then checked by the stage.
    `workers=2`: the stage's path on a machine with cores to spare, in spawned workers (the smoke preset runs in one
    process)."""
    from distilled_vit.core import get_config
    from distilled_vit.data import load_dataset
    from distilled_vit.distill import train_student_nokd
    root = tmp_path_factory.mktemp('mobile-harmony')
    cfg = get_config('smoke', harmony=True, student_harmony=True, export_pte=True, n_clips=16, num_threads=1, latency_repeats=2,
                     workers=2)
    old = os.environ.get('DISTILLED_VIT_CACHE'); os.environ['DISTILLED_VIT_CACHE'] = str(root / 'cache')
    try:
        data = load_dataset(cfg, progress=False)
        run = RunDir(root / 'run', cfg)
        student, _ = train_student_nokd(cfg, run, data, progress=False)
        with contextlib.redirect_stdout(io.StringIO()) as out:
            ex = E.export_stage(cfg, run, student, data, progress=True)
    finally:
        if old is None: os.environ.pop('DISTILLED_VIT_CACHE', None)
        else: os.environ['DISTILLED_VIT_CACHE'] = old
    return SimpleNamespace(cfg=cfg, data=data, run=run, ex=ex, log=out.getvalue(), out=run.path / 'export',
                           student=student.eval())

def test_a_harmony_student_gets_its_programs_and_harmony_pte(mobile_harmony):
    m = mobile_harmony; arts, cfg = m.ex['artefacts'], m.cfg
    assert m.ex['executorch']['written'] and set(m.ex['executorch']['programs']) == {'pte_wave_fp32', 'pte_wave_int8', 'pte_harmony'}
    assert m.ex['executorch']['input']['shape'] == [[1, window_samples(cfg)], [1, 16, cfg.win_frames]]
    assert arts['pte_wave_fp32']['max_abs_diff'] <= E.PARITY_TOLERANCE                 # student program = eager, same rows
    assert 0 < arts['pte_wave_int8']['max_abs_diff'] < 0.1 and arts['pte_wave_int8']['size_mb'] < arts['pte_wave_fp32']['size_mb']
    # the phone path on the test clips against the ONNX bundle's outputs, and its rows against harmony.onnx's
    ck, prog = m.ex['checks'], m.ex['harmony']['program']
    assert ck['phone_parity_ok'] and arts['pte_harmony']['max_abs_diff'] == ck['phone_max_abs_diff'] <= E.PHONE_TOLERANCE
    assert 0 < ck['harmony_rows_max_abs_diff'] == prog['rows_max_abs_diff'] <= 5e-4 * max(1, prog['rows_scale'])
    assert 0.1 < prog['size_mb'] < 0.5 and prog['ms_per_window'] > 0 and prog['ms_per_10s_clip'] > prog['ms_per_window']
    assert 'pte_harmony' in m.log and abs(arts['pte_harmony']['ccc_drop']) < 0.01
    # those numbers recomputed here, as an app would: harmony.pte's own rows (not harmony.onnx's) into the program
    from distilled_vit.data import clip_audio
    from distilled_vit.harmony import harmony_windows
    from distilled_vit.metrics import va_metrics
    from distilled_vit.transcriber import clip_rows
    transcribe, rows = E.load_harmony_pte(m.out / 'harmony.pte')
    A, _, yw, _, R = E.wave_check_set(cfg, m.data, harmony=E.ort_session(m.out / 'harmony.onnx', 1))
    cut = lambda H: harmony_windows(H, cfg.win_frames, cfg.win_hop_frames, cfg.max_windows)
    Rp = np.concatenate([cut(clip_rows(y, cfg.sample_rate, 1 + len(y) // cfg.hop_length, transcribe, rows))
                         for _, y in clip_audio(cfg, m.data, 'test')])
    phone = E.pte_outputs(E.load_pte(m.out / 'student_wave.pte'), A, Rp)
    bundle = E.ort_session(m.out / 'student_wave.onnx', 1).run(None, {'audio': A, 'harmony': R})[0]
    assert np.isclose(np.abs(Rp - R).max(), ck['harmony_rows_max_abs_diff'], rtol=1e-6, atol=0)
    assert np.isclose(np.abs(phone - bundle).max(), ck['phone_max_abs_diff'], rtol=1e-6, atol=0)
    assert va_metrics(yw, phone)['ccc_valence'] == pytest.approx(arts['pte_harmony']['ccc_valence'], rel=1e-9)
    # frontend.json lists the programs (their SHA-256) and how an app runs harmony.pte
    fe = json.loads((m.out / 'frontend.json').read_text())['executorch']
    for k, f in (('wave_fp32', 'student_wave.pte'), ('wave_int8', 'student_wave_int8.pte'), ('harmony', 'harmony.pte')):
        assert fe['programs'][k] == {'file': f, 'sha256': hashlib.sha256((m.out / f).read_bytes()).hexdigest()}
    h = fe['harmony']
    assert h['sample_rate'] == 22050 and h['transcribe']['input'] == [1, 43844] and h['transcribe']['output'] == [1, 142, 13]
    assert h['rows']['output'] == [16, 'T'] and h['max_seconds'] == 1200

def test_the_phone_path_gives_predicts_valence_and_arousal(mobile_harmony, tmp_path):
    """audio -> harmony.pte (windows one at a time, then the rows) -> harmony windows -> student_wave.pte, run by
    ExecuTorch's runtime as an app runs them, against `predict` on the ONNX bundle (harmony.onnx -> student_wave.onnx):
    a chord progression over several transcriber windows and a clip shorter than one window of either model."""
    import soundfile as sf
    from distilled_vit.audio import load_audio, wave_windows
    from distilled_vit.harmony import harmony_windows, harmony_features
    from distilled_vit.inference import predict, load_predictor
    from distilled_vit.transcriber import clip_rows
    m = mobile_harmony; cfg = m.cfg
    transcribe, rows = E.load_harmony_pte(m.out / 'harmony.pte')
    student = E.load_pte(m.out / 'student_wave.pte')
    sr, t = cfg.sample_rate, np.arange(cfg.sample_rate) / cfg.sample_rate
    chord = lambda midi: sum(np.sin(2 * np.pi * 440 * 2 ** ((k - 69) / 12) * t) for k in midi) * 0.1
    prog = np.concatenate([chord(c) for c in [(57, 60, 64), (62, 65, 69), (64, 67, 71), (57, 60, 64)] * 2]).astype(np.float32)
    for name, y in (('progression', prog), ('short', prog[:sr // 2])):
        sf.write(tmp_path / f'{name}.wav', y, sr, subtype='FLOAT')
        want = predict(tmp_path / f'{name}.wav', m.out, variant='wave_fp32')
        y = load_audio(tmp_path / f'{name}.wav', sr)
        H = clip_rows(y, sr, 1 + len(y) // cfg.hop_length, transcribe, rows)                # [16, frames], on the phone
        ref = harmony_features(y, cfg, H.shape[1])                                         # training's rows (NumPy)
        assert np.abs(H - ref).max() <= 5e-4 * max(1, np.abs(ref).max()), name
        A = wave_windows(y, cfg, cfg.win_hop_frames)[0]
        va = load_predictor(m.out, 'wave_fp32').to_labels(
            E.pte_outputs(student, A, harmony_windows(H, cfg.win_frames, cfg.win_hop_frames, 0)))
        got = np.array([[w['valence'], w['arousal']] for w in want['windows']])
        assert va.shape == got.shape and np.abs(va - got).max() <= E.PHONE_TOLERANCE, (name, np.abs(va - got).max())
        assert abs(va[:, 0].mean() - want['valence']) <= E.PHONE_TOLERANCE and abs(va[:, 1].mean() - want['arousal']) <= E.PHONE_TOLERANCE
    assert len(want['windows']) == 1 and want['padded']                                   # the short clip: one padded window

def test_harmony_pte_has_two_methods_and_says_which(mobile_harmony):
    import torch
    from distilled_vit.transcriber import BP_WINDOW
    p = mobile_harmony.out / 'harmony.pte'
    with pytest.raises(E.ExportError, match=r"harmony\.pte: no method 'forward' \(has rows, transcribe\)"):
        E.load_pte(p)
    transcribe, rows = E.load_harmony_pte(p)
    f = transcribe(torch.zeros(1, BP_WINDOW))
    assert f.shape == (1, 142, 13) and torch.isfinite(f).all()
    assert rows(torch.rand(5, 13), torch.arange(7)).shape == (16, 7)                        # dynamic frames and grid
