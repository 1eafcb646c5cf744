"""What the transcriber + student costs at deployment on this CPU, beside the audio-only student (issue 25, item 4).

Writes benchmarks/results/harmony_cost.json and harmony_cost.md. Regenerate, alone on the machine, with:

    .venv/bin/python benchmarks/harmony_cost.py --preset cpu --threads 1 2

Artefacts as the export stage writes them, with the preset's sizes and random weights (time does not depend on the
weight values): `harmony.onnx` (basic-pitch's transcriber and the key-invariant rows of a whole clip, one graph,
01b_harmony.harmony_graph), the audio-in student that takes the rows as a second input (`student_wave*.onnx` of a
`student_harmony` bundle) and the audio-only audio-in student (`make run`'s). Per clip: the graph once, then every
window of the clip at the training hop through the student, one window per call (the INT8 models are dynamically
quantised, 09_export), as `predict` and the browser demo do; the clip is synthesised music of `--seconds`. Median of
`--repeats` runs after one warm-up, interquartile range in brackets. The accuracy of both arms is in
gpu_harmony_true.md (3 seeds), not here.
"""
import argparse, os, shutil, sys, tempfile, time
from pathlib import Path
import _machine                                         # benchmarks/_machine.py

ROOT = Path(__file__).resolve().parent.parent


def _times(fn, repeats):
    import numpy as np
    fn(); ts = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); ts.append((time.perf_counter() - t0) * 1e3)
    q25, q50, q75 = np.percentile(ts, [25, 50, 75])
    return dict(median=round(float(q50), 2), q25=round(float(q25), 2), q75=round(float(q75), 2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--preset', default='cpu')
    ap.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    ap.add_argument('--seconds', type=float, nargs='+', default=[10.0, 60.0], help='clip lengths to time')
    ap.add_argument('--repeats', type=int, default=10)
    ap.add_argument('--out', default=str(ROOT / 'benchmarks' / 'results'))
    a = ap.parse_args()
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    import dataclasses, numpy as np, torch, onnxruntime as ort
    from distilled_vit.core import get_config
    from distilled_vit.rundir import atomic_write_json, atomic_write_text
    from distilled_vit.audio import Normalizer, wave_windows
    from distilled_vit.data import synth_clip, sample_music_params
    from distilled_vit.student import create_student
    from distilled_vit.wave import WaveStudent, WaveHarmonyStudent
    from distilled_vit.harmony import HARMONY_ROWS, graph_rows, harmony_windows
    from distilled_vit.export import (export_onnx, quantize_onnx, example_input, write_harmony_graph, WAVE_INPUT_NAME,
                                      HARMONY_INPUT_NAME)
    cfg = get_config(a.preset); hcfg = dataclasses.replace(cfg, harmony=True, student_harmony=True)
    torch.manual_seed(0); load_before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix='dvit-harmony-cost-'))
    try:
        norm, hnorm = Normalizer(np.zeros(cfg.n_mels), np.ones(cfg.n_mels)), Normalizer(np.zeros(HARMONY_ROWS), np.ones(HARMONY_ROWS))
        write_harmony_graph(cfg, tmp)
        plain = WaveStudent(create_student(cfg).eval(), cfg, norm).eval()
        heard = WaveHarmonyStudent(create_student(hcfg).eval(), hcfg, norm, hnorm).eval()
        export_onnx(plain, example_input(cfg, wave=True), tmp / 'plain.onnx', cfg.onnx_opset, WAVE_INPUT_NAME)
        export_onnx(heard, (example_input(cfg, wave=True), torch.zeros(2, HARMONY_ROWS, cfg.win_frames)), tmp / 'heard.onnx',
                    cfg.onnx_opset, (WAVE_INPUT_NAME, HARMONY_INPUT_NAME))
        for f in ('plain', 'heard'): quantize_onnx(tmp / f'{f}.onnx', tmp / f'{f}_int8.onnx', keep_prefix='/frontend/')
        size = lambda f: round((tmp / f).stat().st_size / 2**20, 3)
        arms = [('audio-only student, INT8 (make run)', None, 'plain_int8.onnx'), ('audio-only student, fp32', None, 'plain.onnx'),
                ('transcriber + student, INT8', 'harmony.onnx', 'heard_int8.onnx'), ('transcriber + student, fp32', 'harmony.onnx', 'heard.onnx')]
        clips = {s: synth_clip(sample_music_params(np.random.default_rng(7)), cfg.sample_rate, s).astype(np.float32) for s in a.seconds}
        rows = []
        for what, graph, model in arms:
            row = dict(what=what, size_mb=round(size(model) + (size(graph) if graph else 0), 3), graph_mb=size(graph) if graph else 0.0,
                       time={})
            for th in a.threads:
                so = ort.SessionOptions(); so.intra_op_num_threads = th; so.inter_op_num_threads = 1; so.log_severity_level = 3
                sess = ort.InferenceSession(str(tmp / model), so, providers=['CPUExecutionProvider'])
                gs = ort.InferenceSession(str(tmp / graph), so, providers=['CPUExecutionProvider']) if graph else None
                for s, y in clips.items():
                    X, starts, _ = wave_windows(y, cfg, cfg.win_hop_frames)
                    def clip(X=X, y=y):
                        feed = {WAVE_INPUT_NAME: X}
                        if gs is not None:
                            feed[HARMONY_INPUT_NAME] = harmony_windows(graph_rows(gs, y, cfg.sample_rate, 1 + len(y) // cfg.hop_length),
                                                                       cfg.win_frames, cfg.win_hop_frames)
                        for i in range(len(X)): sess.run(None, {k: v[i:i + 1] for k, v in feed.items()})
                    row['time'][f't{th}_s{s:g}'] = _times(clip, a.repeats)
                    if gs is not None:
                        row['time'][f't{th}_s{s:g}_graph'] = _times(lambda y=y: graph_rows(gs, y, cfg.sample_rate, 1 + len(y) // cfg.hop_length), a.repeats)
                    row['windows_s' + f'{s:g}'] = len(X)
                    print(f"{what:<40} {th} thread(s), {s:g} s clip: {row['time'][f't{th}_s{s:g}']['median']:.1f} ms", flush=True)
            rows.append(row)
        # memory: the peak resident size one run of harmony.onnx adds, each clip length in a fresh process (ru_maxrss is a
        # process's peak since it started), its input allocated before the run
        probe = ("import resource, sys, numpy as np, onnxruntime as ort\n"
                 "from distilled_vit.harmony import BP_RATE, HARMONY_GRAPH_INPUTS as I\n"
                 "so = ort.SessionOptions(); so.intra_op_num_threads = 1; so.log_severity_level = 3\n"
                 "g = ort.InferenceSession(sys.argv[1], so, providers=['CPUExecutionProvider']); s = int(sys.argv[2])\n"
                 "y = (0.1 * np.random.default_rng(0).standard_normal(s * BP_RATE)).astype(np.float32)\n"
                 "g.run(None, {I[0]: y[:BP_RATE], I[1]: np.array(10)}); m0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
                 "g.run(None, {I[0]: y, I[1]: np.array(s * 62)})\n"
                 "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - m0) / 1024)")
        import subprocess
        memory = {f'{s}s': round(float(subprocess.run([sys.executable, '-c', probe, str(tmp / 'harmony.onnx'), str(s)], capture_output=True,
                                                      text=True, check=True).stdout.strip().splitlines()[-1]), 1) for s in (60, 600)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    cmd = (f".venv/bin/python benchmarks/harmony_cost.py --preset {a.preset} --threads {' '.join(map(str, a.threads))}"
           + (f" --seconds {' '.join(f'{s:g}' for s in a.seconds)}" if a.seconds != [10.0, 60.0] else '')
           + (f" --repeats {a.repeats}" if a.repeats != 10 else ''))
    machine = _machine.machine(load_before)
    res = dict(preset=a.preset, threads=a.threads, seconds=a.seconds, repeats=a.repeats, command=cmd,
               date=time.strftime('%Y-%m-%d'), machine=machine, arms=rows, graph_peak_memory_growth_mb=memory,
               statistic='median ms per clip (graph once + every window at the training hop, one window per call)')
    out = Path(a.out); atomic_write_json(out / 'harmony_cost.json', res)
    cols = [(th, s) for th in a.threads for s in a.seconds]
    L = [f'# What the transcriber + student costs at deployment, `{a.preset}` preset', '',
         f'Command: `{cmd}` ({res["date"]}; Python {machine["python"]}, onnxruntime {machine["onnxruntime"]}; {machine["cpu"]}, '
         f'{machine["cpu_count"]} cores; 1-min load average {machine["load_1min_before"]} before, {machine["load_1min_after"]} after).', '',
         'ONNX Runtime, random weights. Per clip of synthesised music: `harmony.onnx` once (transcriber + rows, in brackets '
         'its share), then every window at the training hop through the audio-in student, one window per call, as '
         '`predict` and the browser demo run them. Median ms over '
         f'{a.repeats} runs after one warm-up. Size: the files a deployment carries (the graph holds the transcriber).', '',
         '| arm | size (MB) | ' + ' | '.join(f'{th} thread{"s" if th > 1 else ""}, {s:g} s clip (ms)' for th, s in cols) + ' |',
         '|---|---|' + '---|' * len(cols)]
    for r in rows:
        cells = [f"{r['time'][f't{th}_s{s:g}']['median']:.0f}" + (f" ({r['time'][f't{th}_s{s:g}_graph']['median']:.0f})"
                                                                   if f't{th}_s{s:g}_graph' in r['time'] else '') for th, s in cols]
        L.append(f"| {r['what']} | {r['size_mb']:.2f} | " + ' | '.join(cells) + ' |')
    L += ['', f"Memory: one run of `harmony.onnx` (1 thread) raises the process's peak resident size by {memory['60s']} MB for a "
              f"60 s clip and {memory['600s']} MB for a 600 s clip, beyond its input (the transcriber runs one window at a time)."]
    if load_before > 0.5 * (os.cpu_count() or 1):        # the load after includes this benchmark's own threads
        L += ['', f'**Caution:** the machine was busy when it started (load {load_before:.1f}): rerun alone for reference numbers.']
    atomic_write_text(out / 'harmony_cost.md', '\n'.join(L) + '\n')
    print('\n'.join(L))


if __name__ == '__main__':
    main()
