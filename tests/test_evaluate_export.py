"""Evaluation and export: metric formulas against hand-computed values, bootstrap, retention and verdict bands, the
report's schema, export parity (TorchScript, torch.export, ONNX vs eager), INT8 CCC drops, safe loading."""
import json, math, pickle
from pathlib import Path
import numpy as np
import pytest
import torch
from distilled_vit.core import get_config, DistilledViTError
from distilled_vit.rundir import RunDir
from distilled_vit.metrics import ccc, mae
from distilled_vit.train import CheckpointError
from distilled_vit.metrics import rmse, pearson_r, va_metrics, weighted_metrics, bootstrap_weights, percentile_ci
from distilled_vit.evaluate import retention_pct, verdict, summary_table, evaluate_stage, MIN_TEACHER_CCC
from distilled_vit.export import (ExportError, check_onnx, ort_session, ort_outputs, torch_outputs, load_torchscript,
                                  load_program, load_student, export_onnx, INPUT_NAME)
from smoke_export import smoke_export

# ---------------------------------------------------------------- metric formulas

def test_metrics_against_hand_computed_values():
    t, p = np.array([1., 2, 3, 4]), np.array([2., 2, 3, 5])
    # means 2.5 / 3, population variances 1.25 / 1.5, covariance 1.25
    assert ccc(t, p) == pytest.approx(2 * 1.25 / (1.25 + 1.5 + 0.5 ** 2))
    assert mae(t, p) == pytest.approx(0.5)
    assert rmse(t, p) == pytest.approx(math.sqrt(0.5))
    assert pearson_r(t, p) == pytest.approx(1.25 / math.sqrt(1.25 * 1.5))

@pytest.mark.parametrize('pred,want_ccc,want_r', [
    (lambda t: t, 1.0, 1.0),                               # identical
    (lambda t: np.full_like(t, t.mean()), 0.0, 0.0),       # constant prediction
    (lambda t: 2 * t.mean() - t, -1.0, -1.0),              # mirrored about the mean: perfectly discordant
    (lambda t: t + 10, None, 1.0),                         # shifted: r stays 1, CCC collapses
])
def test_ccc_and_r_special_cases(pred, want_ccc, want_r):
    t = np.array([0.1, -0.5, 0.8, 0.3, -0.2])
    p = pred(t)
    if want_ccc is not None: assert ccc(t, p) == pytest.approx(want_ccc, abs=1e-12)
    else: assert ccc(t, p) < 0.01
    assert pearson_r(t, p) == pytest.approx(want_r, abs=1e-12)

def test_shift_lowers_ccc_by_the_formula():
    t = np.array([0.1, -0.5, 0.8, 0.3])
    assert ccc(t, t + 1) == pytest.approx(2 * t.var() / (2 * t.var() + 1))

def test_va_metrics_keys_and_weighted_equivalence():
    rng = np.random.default_rng(0)
    y = rng.uniform(-1, 1, (40, 2)); p = y + rng.normal(0, 0.2, (40, 2))
    m = va_metrics(y, p)
    assert set(m) == {f'{k}_{d}' for k in ('ccc', 'mae', 'rmse', 'r') for d in ('valence', 'arousal')} | {'ccc_mean'}
    w = weighted_metrics(y, p, np.full((1, 40), 1 / 40))
    for k, v in m.items(): assert w[k][0] == pytest.approx(v, abs=1e-9), k
    # integer weights = duplicated rows
    w2 = weighted_metrics(y, p, np.r_[np.full(20, 2.0), np.zeros(20)][None] / 40)
    assert w2['ccc_valence'][0] == pytest.approx(ccc(np.r_[y[:20, 0], y[:20, 0]], np.r_[p[:20, 0], p[:20, 0]]))

def test_cluster_bootstrap_draws_whole_groups_and_brackets_the_estimate():
    groups = np.repeat(['a', 'b', 'c', 'd', 'e', 'f'], [3, 5, 2, 4, 4, 2])
    w = bootstrap_weights(groups, 300, seed=3)
    assert w.shape == (300, 20) and np.allclose(w.sum(1), 1)
    for g in np.unique(groups): assert np.allclose(w[:, groups == g].std(1), 0)       # a group is in or out as a whole
    rng = np.random.default_rng(1); y = rng.uniform(-1, 1, (20, 2)); p = y + rng.normal(0, 0.3, (20, 2))
    lo, hi = percentile_ci(weighted_metrics(y, p, w)['ccc_arousal'])
    assert lo <= ccc(y[:, 1], p[:, 1]) <= hi
    assert percentile_ci(weighted_metrics(y, y, w)['ccc_valence']) == pytest.approx([1.0, 1.0])
    assert np.array_equal(bootstrap_weights(groups, 5, seed=3), bootstrap_weights(groups, 5, seed=3))

# ---------------------------------------------------------------- retention and verdict

def _m(v, a): return dict(ccc_valence=v, ccc_arousal=a, ccc_mean=(v + a) / 2)

@pytest.mark.parametrize('ratio,label', [(1.0, 'excellent'), (0.90, 'excellent'), (0.8999, 'good'), (0.85, 'good'),
                                         (0.8499, 'needs tuning'), (0.2, 'needs tuning'), (1.3, 'excellent')])
def test_verdict_bands(ratio, label):
    t = _m(0.6, 0.8); s = _m(0.6 * ratio, 0.8 * ratio)
    r = retention_pct(s, t)
    assert r['mean'] == pytest.approx(100 * ratio)
    v = verdict(r, t)
    assert v['label'] == label and v['reliable'] and v['advice']

@pytest.mark.parametrize('teacher', [_m(0.05, 0.7), _m(-0.2, 0.7), _m(0.7, MIN_TEACHER_CCC - 0.01)])
def test_weak_teacher_is_flagged_not_hidden(teacher):
    s = _m(0.3, 0.6)
    r = retention_pct(s, teacher)
    assert r['valence'] == pytest.approx(100 * 0.3 / teacher['ccc_valence'])          # the number is still reported
    v = verdict(r, teacher)
    assert v['reliable'] is False and 'unreliable' in v['text'] and v['label'] == 'unreliable teacher'

def test_zero_teacher_gives_no_ratio():
    r = retention_pct(_m(0.3, 0.3), _m(0.0, 0.0))
    assert r == dict(valence=None, arousal=None, mean=None)
    assert verdict(r, _m(0.0, 0.0))['label'] == 'unknown'

def test_evaluate_needs_two_test_windows(tmp_path):
    class OneWindow:
        info = {'source': 'tiny.csv'}
        def arrays(self, split): return np.zeros((1, 32, 32), np.float32), np.zeros((1, 2), np.float32)
    cfg = get_config('smoke')
    with pytest.raises(DistilledViTError, match='tiny.csv: the test split has 1 window'):
        evaluate_stage(cfg, RunDir(tmp_path / 'run', cfg), OneWindow(), None, None, None, progress=False)

# ---------------------------------------------------------------- the smoke run's report

REQUIRED_MODEL_KEYS = {'params', 'size_mb', 'ccc_valence', 'ccc_arousal', 'mae_valence', 'mae_arousal', 'latency_ms_b1'}

def test_report_json_schema():
    s = smoke_export()
    rep = json.loads((s.run.path / 'report.json').read_text())
    assert rep['preset'] == 'smoke' and rep['dataset'] == 'embedded'
    for m in ('teacher', 'student', 'student_nokd', 'baseline'):
        assert REQUIRED_MODEL_KEYS <= set(rep[m]), m
        assert rep[m]['params'] > 0 and rep[m]['size_mb'] > 0 and rep[m]['latency_ms_b1'] > 0
        for d in ('valence', 'arousal'):
            lo, hi = rep[m]['ci95'][f'ccc_{d}']
            assert lo <= hi
    assert set(rep['retention_pct']) == {'valence', 'arousal', 'mean'}
    assert rep['retention_pct']['valence'] == pytest.approx(100 * rep['student']['ccc_valence'] / rep['teacher']['ccc_valence'])
    assert rep['compression']['params_ratio'] == pytest.approx(rep['teacher']['params'] / rep['student']['params'])
    assert rep['compression']['size_ratio'] == pytest.approx(rep['teacher']['size_mb'] / rep['student']['size_mb'])
    assert rep['timings_s']['total'] == pytest.approx(9.5)
    for name, a in rep['export']['artefacts'].items():
        assert {'path', 'size_mb', 'latency_ms_b1', 'max_abs_diff', 'ccc_valence', 'ccc_arousal', 'ccc_drop'} <= set(a), name
        assert (s.run.path / a['path']).is_file()
    assert rep['verdict']['label'] in ('excellent', 'good', 'needs tuning', 'unreliable teacher', 'unknown')
    json.dumps(rep, allow_nan=False)                                        # strict JSON: no NaN anywhere

def test_report_md_and_figures():
    s = smoke_export()
    md = (s.run.path / 'report.md').read_text()
    for part in ('## Models', '## Teacher → student', '## Export', '## Timings', 'ONNX Runtime dynamic INT8'):
        assert part in md, part
    figs = s.report['figures']
    assert set(figs) == {'predictions', 'retention', 'latency', 'va_plane'}
    for p in figs.values():
        assert f']({p})' in md and (s.run.path / p).stat().st_size > 2000
        assert (s.run.path / p).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert not [p for p in s.run.path.rglob('*.tmp')]                      # atomic writes leave nothing behind

def test_summary_table_lines():
    s = smoke_export()
    txt = summary_table(s.report)
    for part in ('teacher (ViT)', 'student (KD)', 'student (no KD)', 'ridge baseline', 'CCC retention', 'compression',
                 'ONNX INT8', 'verdict:'):
        assert part in txt, part
    assert summary_table(json.loads(json.dumps(s.report))) == txt             # works on the reloaded JSON too

# ---------------------------------------------------------------- export parity

def test_onnx_matches_eager_on_the_test_set():
    s = smoke_export()
    X, _ = s.data.arrays('test')
    eager = torch_outputs(s.student, X)
    onnx_out = ort_outputs(ort_session(s.export_dir / 'student.onnx', 1), X)
    assert np.abs(onnx_out - eager).max() <= 1e-4
    assert s.ex['checks']['onnx_parity_ok'] and s.ex['artefacts']['onnx_fp32']['max_abs_diff'] <= 1e-4

def test_onnx_is_self_contained_with_dynamic_batch():
    s = smoke_export()
    assert check_onnx(s.export_dir / 'student.onnx') == ['batch', 1, s.cfg.n_mels, s.cfg.win_frames]
    assert not list(s.export_dir.glob('*.data')) and not list(s.export_dir.glob('*.onnx_data'))
    sess = ort_session(s.export_dir / 'student.onnx')
    for b in (1, 7, 33):
        x = np.zeros((b, 1, s.cfg.n_mels, s.cfg.win_frames), np.float32)
        assert sess.run(None, {INPUT_NAME: x})[0].shape == (b, 2)

def test_torchscript_and_program_reload_equal():
    s = smoke_export()
    X, _ = s.data.arrays('test')
    eager = torch_outputs(s.student, X)
    assert np.abs(torch_outputs(load_torchscript(s.export_dir / 'student_torchscript.pt'), X) - eager).max() <= 1e-5
    assert np.abs(torch_outputs(load_program(s.export_dir / 'student.pt2'), X) - eager).max() <= 1e-5

def test_int8_ccc_drop_reported_and_recomputable():
    s = smoke_export()
    X, y = s.data.arrays('test')
    ref = va_metrics(y, torch_outputs(s.student, X))
    sess = ort_session(s.export_dir / 'student_int8.onnx', 1)
    int8 = va_metrics(y, ort_outputs(sess, X, 1))        # one window per call, as export, predict, browser and phone run INT8
    a = s.ex['artefacts']['onnx_int8']
    for d in ('valence', 'arousal'):
        assert a[f'ccc_drop_{d}'] == pytest.approx(ref[f'ccc_{d}'] - int8[f'ccc_{d}'], abs=1e-6)
    assert a['ccc_drop'] == pytest.approx(max(a['ccc_drop_valence'], a['ccc_drop_arousal']))
    assert s.ex['checks']['onnx_int8_ccc_drop'] == a['ccc_drop']
    assert s.ex['checks']['torch_int8_ccc_drop'] == s.ex['artefacts']['torch_int8']['ccc_drop']
    assert a['size_mb'] < s.ex['artefacts']['onnx_fp32']['size_mb']
    assert 0 < a['max_abs_diff'] < 0.1                                   # quantised, but close
    # why one window per call: dynamic INT8 scales a call's activations together, so batching changes a window's output
    batched = ort_outputs(sess, X, 64); single = ort_outputs(sess, X, 1)
    assert np.abs(batched - single).max() > 1e-6 and np.array_equal(single[:3], ort_outputs(sess, X[:3], 1))
    fe = json.loads((s.export_dir / 'frontend.json').read_text())
    w = s.ex['artefacts']['onnx_wave_int8']                              # the default is the audio-in model, INT8 if it keeps CCC
    assert fe['default_model'] == ('wave_int8' if w['ccc_drop'] <= 0.01 else 'wave_fp32')

# ---------------------------------------------------------------- safe loading and bad files

def test_state_dict_is_weights_only():
    s = smoke_export()
    sd = torch.load(s.export_dir / 'mobile_vit_student.pth', weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in sd.values())
    m = load_student(s.export_dir / 'mobile_vit_student.pth', s.cfg)
    X, _ = s.data.arrays('test')
    assert np.array_equal(torch_outputs(m, X), torch_outputs(s.student, X))

class _Payload:
    "Unpickling this would create a file: the marker of arbitrary code running."
    def __init__(self, marker): self.marker = marker
    def __reduce__(self): return (Path.touch, (Path(self.marker),))

@pytest.mark.filterwarnings('ignore::UserWarning')
def test_malicious_pth_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    with open(tmp_path / 'evil.pth', 'wb') as f: pickle.dump({'w': _Payload(str(marker))}, f)
    with pytest.raises(CheckpointError, match='evil.pth: refused to load checkpoint'):
        load_student(tmp_path / 'evil.pth', get_config('smoke'))
    assert not marker.exists()

@pytest.mark.parametrize('content,msg', [
    (None, 'checkpoint does not exist'),
    (b'', 'file is empty'),
    (b'garbage bytes, not a zip', 'refused to load checkpoint'),
])
def test_bad_pth_files(tmp_path, content, msg):
    p = tmp_path / 'model.pth'
    if content is not None: p.write_bytes(content)
    with pytest.raises(CheckpointError) as e: load_student(p, get_config('smoke'))
    assert msg in str(e.value) and 'model.pth' in str(e.value) and '\n' not in str(e.value)

def test_pth_of_another_architecture(tmp_path):
    s = smoke_export()
    with pytest.raises(CheckpointError, match='weights do not fit MobileViTStudent'):
        load_student(s.export_dir / 'mobile_vit_student.pth', get_config('smoke', student_dim=48))
    torch.save({'a': [1, 2]}, tmp_path / 'list.pth')
    with pytest.raises(CheckpointError, match='not a state dict of tensors'):
        load_student(tmp_path / 'list.pth', get_config('smoke'))

def test_bad_onnx_and_torchscript_files(tmp_path):
    (tmp_path / 'bad.onnx').write_bytes(b'\x08\x07not onnx')
    with pytest.raises(ExportError, match='bad.onnx: invalid ONNX model'): check_onnx(tmp_path / 'bad.onnx')
    (tmp_path / 'bad.pt').write_bytes(b'nope')
    with pytest.raises(ExportError, match='bad.pt: not a loadable TorchScript file'): load_torchscript(tmp_path / 'bad.pt')
    with pytest.raises(ExportError, match='missing.pt2: exported program does not exist'): load_program(tmp_path / 'missing.pt2')

@pytest.mark.filterwarnings('ignore::DeprecationWarning', 'ignore::torch.jit.TracerWarning')
def test_static_batch_onnx_is_rejected(tmp_path):
    s = smoke_export()
    x = torch.zeros(1, 1, s.cfg.n_mels, s.cfg.win_frames)
    torch.onnx.export(s.student, (x,), str(tmp_path / 'static.onnx'), dynamo=False, opset_version=17)
    with pytest.raises(ExportError, match='batch axis is not dynamic'): check_onnx(tmp_path / 'static.onnx')
    export_onnx(s.student, torch.zeros(2, 1, s.cfg.n_mels, s.cfg.win_frames), tmp_path / 'ok.onnx')
    assert check_onnx(tmp_path / 'ok.onnx')[0] == 'batch'

def test_export_with_clips_shorter_than_a_window(tmp_path, monkeypatch):
    """Clips shorter than one window: after the clip's end the audio-in front end sees the tail of the last frames where
    the log-mel windows hold the silence floor (by design, documented). Exporters are checked against the eager audio-in
    student, so the stage still passes and writes the bundle, and the report counts those windows."""
    import soundfile as sf
    from distilled_vit.data import load_dataset
    from distilled_vit.distill import train_student_nokd
    from distilled_vit.export import export_stage
    monkeypatch.setenv('DISTILLED_VIT_CACHE', str(tmp_path / 'cache'))
    rng = np.random.default_rng(0)
    for i in range(12): sf.write(str(tmp_path / f'c{i}.wav'), 0.1 * rng.standard_normal(8000).astype(np.float32), 16000)  # 0.5 s
    (tmp_path / 'm.csv').write_text('path,valence,arousal\n' + ''.join(f'c{i}.wav,{(i % 5) / 5:.1f},{-(i % 3) / 3:.2f}\n' for i in range(12)))
    cfg = get_config('smoke', data=str(tmp_path / 'm.csv'), num_threads=1, latency_repeats=1, kd_epochs=1)
    data = load_dataset(cfg, progress=False); run = RunDir(tmp_path / 'run', cfg)
    student, _ = train_student_nokd(cfg, run, data, progress=False)
    ex = export_stage(cfg, run, student, data, progress=False)
    assert ex['wave']['short_clip_windows'] == ex['wave']['windows'] > 0 and ex['wave']['frontend_max_abs_diff_db'] is None
    assert ex['checks']['wave_parity_ok'] and (run.path / 'export' / 'frontend.json').is_file()
