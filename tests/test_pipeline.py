"""The whole pipeline from the command line: smoke run end to end, skip/force, the paper dry run."""
import json, os
from pathlib import Path
import pytest
from conftest import cli, cli_here, netguard, write_tone
from distilled_vit.rundir import STAGES

MODEL_KEYS = ('params', 'size_mb', 'ccc_valence', 'ccc_arousal', 'mae_valence', 'mae_arousal', 'latency_ms_b1')

def test_report_has_every_section(smoke_run):
    out, r = smoke_run
    rep = json.loads((out / 'report.json').read_text())
    assert rep['preset'] == 'smoke' and rep['dataset']
    for m in ('teacher', 'student', 'student_nokd', 'baseline'):
        for k in MODEL_KEYS: assert k in rep[m], (m, k)
    assert set(rep['retention_pct']) >= {'valence', 'arousal', 'mean'}
    assert set(rep['compression']) >= {'params_ratio', 'size_ratio'}
    assert rep['export'] and rep['timings_s']
    assert (out / 'report.md').exists()
    for stage in ('data', 'teacher', 'student', 'student_nokd', 'evaluate', 'export'):
        assert (out / stage / 'done.json').exists(), stage
    assert list(out.rglob('*.png')), 'figures are saved in the run directory'
    assert not list(out.rglob('.*.tmp')), 'no half-written files'
    um = os.umask(0); os.umask(um)                        # artefacts carry the user's usual mode (not safetensors' 0600)
    for f in list(out.rglob('*.safetensors')) + list(out.rglob('*.json')):
        assert f.stat().st_mode & 0o777 == 0o666 & ~um, (f, oct(f.stat().st_mode & 0o777))
    assert '[8/8] export' in r.stdout                     # a progress line per stage
    # the exported model is the one the validation gate chose, and its eager reference is that model
    gate = rep['kd_gate']
    assert gate['applied'] == (gate['student_val_ccc'] > gate['nokd_val_ccc']) and rep['export']['model'] == gate['shipped']
    assert rep['export']['reference']['ccc_valence'] == pytest.approx(rep[gate['shipped']]['ccc_valence'], abs=1e-6)
    assert gate['text'] in r.stdout

def test_rerun_skips_finished_stages_and_force_redoes(smoke_run):
    out, _ = smoke_run
    r = cli_here('run', '--preset', 'smoke', '--out', str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.count('done earlier') == 6            # everything but the (cached) data and pretrain stages
    before = (out / 'student' / 'done.json').stat().st_mtime
    r = cli_here('run', '--preset', 'smoke', '--out', str(out), '--force', 'student')
    assert r.returncode == 0, r.stderr[-2000:]
    assert (out / 'student' / 'done.json').stat().st_mtime > before
    ran = sorted(s for s in STAGES if any(l.split()[1:3] == [s, 'running...'] for l in r.stdout.splitlines()))
    assert ran == sorted(['data', 'pretrain', 'student', 'student_nokd', 'evaluate', 'export']), r.stdout   # X and every later stage
    assert 'teacher       done earlier' in r.stdout and 'gan           done earlier' in r.stdout

def run_smoke_with(out, *sets):
    """`distilled-vit run --preset smoke --set *sets` into `out` (must succeed); its config and its trained teacher."""
    from distilled_vit.core import get_config
    from distilled_vit.train import load_weights
    from distilled_vit.teacher import create_teacher
    r = cli_here('run', '--preset', 'smoke', '--out', str(out), '--set', *sets)
    assert r.returncode == 0, r.stderr[-3000:]
    cfg = get_config('smoke', **dict(s.split('=') for s in sets))
    return cfg, load_weights(create_teacher(cfg), out / 'teacher' / 'model.safetensors')

def test_harmony_teacher_and_log_bands_end_to_end(tmp_path):
    """`harmony=true` with `freq_scale=log`: the teacher hears the 16 harmony rows below its bands, the students and every
    exported model hear audio only (the audio-in ONNX computes the log bands itself), and `predict` works on the bundle."""
    import numpy as np
    out = tmp_path / 'h'
    cfg, t = run_smoke_with(out, 'harmony=true', 'freq_scale=log', 'n_fft=2048', 'kd_corpus=16', 'n_clips=16')
    assert tuple(t.patch_embed.img_size) == (cfg.n_mels + 16, cfg.win_frames)          # log bands + harmony rows
    fe = json.loads((out / 'export' / 'frontend.json').read_text())
    assert fe['frontend']['freq_scale'] == 'log' and fe['input']['shape'][2] == cfg.n_mels   # the student: bands only
    rep = json.loads((out / 'report.json').read_text())
    assert rep['export']['artefacts']['onnx_wave_fp32']['max_abs_diff'] < 1e-4               # audio-in parity, log bands
    assert json.loads((out / 'pretrain' / 'pretrain.json').read_text())['corpus']['n'] == 16
    p = cli_here('predict', str(write_tone(tmp_path / 'a.wav', seconds=3.0)), '--model', str(out / 'export'), '--json_out')
    assert p.returncode == 0 and np.isfinite(json.loads(p.stdout)['valence']), p.stderr[-2000:]

def test_transcriber_and_student_bundle(tmp_path):
    """`student_harmony=true`: the students hear the harmony rows too; the bundle carries `harmony.onnx` (transcriber +
    rows in one graph, its SHA-256 checked by `predict`) and audio-in models with a second input for the rows; `predict`
    gives the exported model's outputs for the test windows the pipeline made (float16 feature cache aside), the audio-in
    model agrees with the log-mel one, and an altered graph is one line naming it."""
    import numpy as np, onnxruntime as ort
    from distilled_vit.core import get_config
    from distilled_vit.data import load_dataset, clip_audio
    from distilled_vit.inference import predict, load_predictor, ModelBundleError
    from distilled_vit.harmony import NMP_SHA256
    import soundfile as sf
    out = tmp_path / 's'; sets = ('harmony=true', 'student_harmony=true', 'kd_corpus=16', 'n_clips=16')
    r = cli_here('run', '--preset', 'smoke', '--out', str(out), '--set', *sets)
    assert r.returncode == 0, r.stderr[-3000:]
    cfg = get_config('smoke', **dict(s.split('=') for s in sets))
    fe = json.loads((out / 'export' / 'frontend.json').read_text())
    assert fe['input']['shape'][2] == cfg.n_mels + 16 and fe['harmony']['transcriber']['sha256'] == NMP_SHA256
    assert set(fe['models']) == {'fp32', 'int8', 'wave_fp32', 'wave_int8'} and (out / 'export' / fe['harmony']['graph']).is_file()
    rep = json.loads((out / 'report.json').read_text())['export']
    assert rep['artefacts']['onnx_wave_fp32']['max_abs_diff'] < 1e-4 and rep['harmony']['size_mb'] > 0.2   # the transcriber is inside
    assert rep['executorch']['written'] is False and rep['executorch']['reason'] == 'export_pte=False'   # smoke: lowering is test_mobile's
    # the ridge baseline hears what the shipped student hears: pooled log-mel and harmony rows (mean and std per row)
    assert json.loads((out / 'report.json').read_text())['baseline']['params'] == 2 * 2 * (cfg.n_mels + 16) + 2
    data = load_dataset(cfg, progress=False)
    i, y = next(iter(clip_audio(cfg, data, 'test')))
    sf.write(tmp_path / 'clip.wav', y, cfg.sample_rate, subtype='FLOAT')
    got = predict(tmp_path / 'clip.wav', out / 'export', variant='fp32', hop_seconds=cfg.win_hop_frames * cfg.hop_length / cfg.sample_rate)
    X = data.teacher_arrays('test')[0][data.clip[data.index('test')] == i][:, None]
    want = ort.InferenceSession(str(out / 'export' / 'student.onnx')).run(None, {'mel': X})[0]
    from distilled_vit.audio import window_starts
    keep = window_starts(1 + len(y) // cfg.hop_length, cfg.win_frames, cfg.win_hop_frames, cfg.max_windows)  # the data's windows
    spf = cfg.hop_length / cfg.sample_rate
    pw = {int(round(w['start_s'] / spf)): [w['valence'], w['arousal']] for w in got['windows']}
    assert set(keep) <= set(pw) and np.abs(np.array([pw[k] for k in keep]) - want).max() < 2e-2
    wave = predict(tmp_path / 'clip.wav', out / 'export', variant='wave_fp32')             # audio in, rows as a second input
    mel = predict(tmp_path / 'clip.wav', out / 'export', variant='fp32')
    assert [w['start_s'] for w in wave['windows']] == [w['start_s'] for w in mel['windows']]
    assert max(abs(a[d] - b[d]) for a, b in zip(wave['windows'], mel['windows']) for d in ('valence', 'arousal')) < 1e-3
    # a clip shorter than one window: its rows are padded with zeros and normalised after, as training cut them
    from distilled_vit.audio import log_mel, frame_windows
    from distilled_vit.harmony import harmony_features, harmony_windows
    short = y[:(cfg.win_frames // 2) * cfg.hop_length]
    sf.write(tmp_path / 'short.wav', short, cfg.sample_rate, subtype='FLOAT')
    mel = log_mel(short, cfg)
    Xw, Hw = frame_windows(mel, cfg.win_frames, cfg.win_hop_frames, 0)[0], harmony_windows(harmony_features(short, cfg, mel.shape[1]), cfg.win_frames, cfg.win_hop_frames, 0)
    ref = ort.InferenceSession(str(out / 'export' / 'student.onnx')).run(None, {'mel': data.teacher_input(Xw, Hw)[:, None]})[0]
    got = predict(tmp_path / 'short.wav', out / 'export', variant='fp32')
    assert len(got['windows']) == 1 and got['padded']
    assert np.abs(np.array([[got['windows'][0]['valence'], got['windows'][0]['arousal']]]) - np.clip(ref, -1, 1)).max() < 1e-4
    # the rows' normalisation is checked like the log-mel's: NaN or 1e300 (inf in float32) would give NaN predictions
    fj = out / 'export' / 'frontend.json'; good = fj.read_text()
    for bad in (float('nan'), 1e300):
        fe_bad = json.loads(good); fe_bad['harmony']['normalisation']['mean'][0] = bad; fj.write_text(json.dumps(fe_bad))
        with pytest.raises(ModelBundleError, match="harmony normalisation must be 16 finite values each"):
            load_predictor(out / 'export')
    fj.write_text(good)
    g = out / 'export' / 'harmony.onnx'; g.write_bytes(g.read_bytes()[:-1] + b'x')
    with pytest.raises(ModelBundleError, match="harmony.onnx: SHA-256 .* differs from the one frontend.json recorded"):
        load_predictor(out / 'export')

def test_musicnn_teacher_and_student_end_to_end(tmp_path):
    """`musicnn=true teacher_musicnn=token kd_musicnn=0.5` (issue 33): the data and pretrain stages
    compute MusiCNN's embedding in spawned processes, the teacher hears it as one more token (and is
    evaluated on its packed windows), the student learns it on the labelled and corpus windows, and
    the exported student hears the log-mel alone."""
    from distilled_vit.teacher import MusiCNNViT
    out = tmp_path / 'm'
    cfg, t = run_smoke_with(out, 'musicnn=true', 'teacher_musicnn=token', 'kd_musicnn=0.5', 'kd_corpus=8', 'n_clips=12')
    assert isinstance(t, MusiCNNViT) and t.musicnn_mode == 'token'
    m = json.loads((out / 'student' / 'metrics.json').read_text())
    data = json.loads((out / 'data' / 'summary.json').read_text())
    assert m['transfer_windows'] == 8 and m['musicnn_windows'] == data['train_windows'] + 8
    corpus = json.loads((out / 'pretrain' / 'pretrain.json').read_text())['corpus']
    assert corpus['musicnn_cache_key'] and not corpus['musicnn_cache_hit']
    rep = json.loads((out / 'report.json').read_text())
    assert rep['teacher']['params'] == sum(p.numel() for p in t.parameters())
    fe = json.loads((out / 'export' / 'frontend.json').read_text())
    assert fe['input']['shape'][2] == cfg.n_mels                      # the student: log-mel only

def test_paper_preset_dry_run(tmp_path):
    # in process: no second torch start-up; one thread, as every test here (the thread count changes no model or shape,
    # and two threads spin on the cores the other tests need: make test runs three streams on two cores)
    r = cli_here('run', '--preset', 'paper', '--dry-run', '--out', str(tmp_path / 'paper'), '--set', 'num_threads=1')
    assert r.returncode == 0, r.stderr[-3000:]
    cfg = json.loads((tmp_path / 'paper' / 'config.json').read_text())
    assert cfg['teacher_arch'] == 'vit_base_patch16_224' and cfg['max_batches'] == 1
    rep = json.loads((tmp_path / 'paper' / 'report.json').read_text())
    assert rep['teacher']['params'] > 80e6
    # what the full run's distillation holds, projected: 2,000 clips x 0.7 for training x 8 windows (30 s at hop 256 is
    # 1,876 frames: more windows of 256 than max_windows=8), their teacher targets on disk at the dry run's record size
    line = next(l for l in r.stdout.splitlines() if l.startswith('projected for the full run'))
    rec = json.loads((tmp_path / 'paper' / 'student' / 'metrics.json').read_text())['teacher_target_bytes']
    assert 'reads 11,200 windows (11,200 labelled)' in line and f'({11200 * rec / 1e9:.1f} GB in student/' in line, line
    assert 'batches of 64 windows' in line, line

def test_nothing_is_downloaded(smoke_run, tmp_path):
    "The smoke pipeline (fixture) and `predict` ran with every network connection refused and logged: none was tried."
    out, _ = smoke_run
    r = cli('predict', str(write_tone(tmp_path / 'a.wav', seconds=3.0)), '--model', str(out / 'export'), env=netguard(out.parent))
    assert r.returncode == 0, r.stderr[-2000:]
    log = (out.parent / 'network.log').read_text().splitlines()
    assert log.count('loaded') >= 2, 'the guard was active in both processes'
    assert [l for l in log if l != 'loaded'] == [], log

def test_teacher_starts_from_the_pretrain_stages_backbone(tmp_path):
    "`teacher_pretrain`: the pretrain stage makes the backbone and the teacher stage starts from that file (it does not pretrain)."
    from safetensors.torch import load_file
    r = cli_here('train-teacher', '--preset', 'smoke', '--out', str(tmp_path / 'r'), '--set', 'teacher_pretrain=1')
    assert r.returncode == 0, r.stderr[-2000:]
    pre = json.loads((tmp_path / 'r' / 'pretrain' / 'pretrain.json').read_text())['teacher']
    assert json.loads((tmp_path / 'r' / 'teacher' / 'metrics.json').read_text())['pretrain']['key'] == pre['key']
    from distilled_vit.pretrain import backbone_file
    assert backbone_file(pre['key']).is_file() and 'blocks.0.attn.qkv.weight' in load_file(str(backbone_file(pre['key'])))
