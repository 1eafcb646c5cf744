"""Latency on this CPU of the teacher, the student and every export variant of the student, at batch 1 and 32.

Writes benchmarks/results/latency.json and latency.md (the table the export docs cite). Regenerate with:

    .venv/bin/python benchmarks/latency.py --preset cpu --threads 1 2

Models have the preset's sizes and random weights (latency does not depend on the weight values; CCC and the INT8
CCC drop of trained models are in each run's report.json). Each number is the median of `--repeats` calls after
`--warmup` calls, with the interquartile range; torch and ONNX Runtime intra-op threads are fixed per column. Other
work on the machine inflates latency, multi-threaded latency most: the 1-minute load average is recorded before and
after; run it on a quiet machine.
"""
import argparse, copy, os, shutil, sys, tempfile, time
from pathlib import Path
import _machine                                         # benchmarks/_machine.py

ROOT = Path(__file__).resolve().parent.parent


def _times(fn, x, repeats, warmup):
    "Median and interquartile range (ms) of `fn(x)`."
    import numpy as np
    for _ in range(warmup): fn(x)
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(x); ts.append((time.perf_counter() - t0) * 1e3)
    q25, q50, q75 = np.percentile(ts, [25, 50, 75])
    return dict(median=round(float(q50), 3), q25=round(float(q25), 3), q75=round(float(q75), 3))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--preset', default='cpu')
    ap.add_argument('--threads', type=int, nargs='+', default=[1, 2], help='thread counts to measure (torch and ORT)')
    ap.add_argument('--batches', type=int, nargs='+', default=[1, 32])
    ap.add_argument('--repeats', type=int, default=30)
    ap.add_argument('--warmup', type=int, default=5)
    ap.add_argument('--out', default=str(ROOT / 'benchmarks' / 'results'), help='folder for latency.json / latency.md')
    a = ap.parse_args()
    os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('MPLBACKEND', 'Agg')
    import numpy as np, torch, onnxruntime as ort
    from onnxruntime.quantization import quantize_dynamic, QuantType
    from distilled_vit.core import get_config
    from distilled_vit.rundir import atomic_write_json, atomic_write_text
    from distilled_vit.teacher import create_teacher
    from distilled_vit.student import create_student
    from distilled_vit.export import (example_input, to_torchscript, save_torchscript, load_torchscript, export_program,
                                      load_program, quantize_torch, export_onnx, quantize_onnx, save_state_dict, _quiet)
    cfg = get_config(a.preset)
    torch.manual_seed(0)
    load_before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix='dvit-latency-'))
    try:
        teacher, student = create_teacher(cfg).eval(), create_student(cfg).eval()
        ex = example_input(cfg)
        # every variant, as (name, what, file, runtime, callable factory)
        save_state_dict(teacher, tmp / 'teacher.pth'); save_state_dict(student, tmp / 'student.pth')
        save_torchscript(to_torchscript(student, ex)[0], tmp / 'student_ts.pt')
        export_program(student, ex, tmp / 'student.pt2')
        save_torchscript(to_torchscript(quantize_torch(student), ex)[0], tmp / 'student_int8_ts.pt')
        export_onnx(student, ex, tmp / 'student.onnx', cfg.onnx_opset)
        quantize_onnx(tmp / 'student.onnx', tmp / 'student_int8.onnx')
        with _quiet():       # every op type (Conv -> ConvInteger too): the variant the export stage does not use
            quantize_dynamic(str(tmp / 'student.onnx'), str(tmp / 'student_int8_all.onnx'), per_channel=True,
                             weight_type=QuantType.QInt8)
        variants = [
            ('teacher', f'teacher {cfg.teacher_arch}, eager fp32', 'teacher.pth', 'torch', lambda: teacher),
            ('student', 'student, eager fp32', 'student.pth', 'torch', lambda: student),
            ('torchscript', 'student, TorchScript', 'student_ts.pt', 'torch', lambda: load_torchscript(tmp / 'student_ts.pt')),
            ('torch_export', 'student, torch.export program (.pt2)', 'student.pt2', 'torch', lambda: load_program(tmp / 'student.pt2')),
            ('torch_int8', 'student, torch dynamic INT8 (Linear)', 'student_int8_ts.pt', 'torch',
             lambda: load_torchscript(tmp / 'student_int8_ts.pt')),
            ('onnx_fp32', 'student, ONNX fp32', 'student.onnx', 'ort', None),
            ('onnx_int8', 'student, ONNX INT8 (MatMul, per channel)', 'student_int8.onnx', 'ort', None),
            ('onnx_int8_all', 'student, ONNX INT8 (all ops, per channel)', 'student_int8_all.onnx', 'ort', None),
        ]
        shape = (1, cfg.n_mels, cfg.win_frames)
        rows = []
        for name, what, fname, rt, make in variants:
            row = dict(name=name, what=what, runtime='ONNX Runtime' if rt == 'ort' else 'PyTorch',
                       size_mb=round((tmp / fname).stat().st_size / 2**20, 3), latency={})
            for th in a.threads:
                if rt == 'torch':
                    torch.set_num_threads(th); m = make()
                    fn = lambda x, m=m: m(x)
                    mk = lambda b: torch.randn(b, *shape)
                else:
                    so = ort.SessionOptions(); so.intra_op_num_threads = th; so.inter_op_num_threads = 1
                    so.log_severity_level = 3
                    sess = ort.InferenceSession(str(tmp / fname), so, providers=['CPUExecutionProvider'])
                    iname = sess.get_inputs()[0].name
                    fn = lambda x, s=sess, n=iname: s.run(None, {n: x})
                    mk = lambda b: np.random.default_rng(0).normal(size=(b, *shape)).astype(np.float32)
                for b in a.batches:
                    with torch.inference_mode():
                        row['latency'][f't{th}_b{b}'] = _times(fn, mk(b), a.repeats, a.warmup)
                print(f"{name:<14} threads {th}: " + ', '.join(f"b{b} {row['latency'][f't{th}_b{b}']['median']:.2f} ms"
                                                              for b in a.batches), flush=True)
            rows.append(row)
        params = dict(teacher=sum(p.numel() for p in teacher.parameters()), student=sum(p.numel() for p in student.parameters()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    cmd = (f".venv/bin/python benchmarks/latency.py --preset {a.preset} --threads {' '.join(map(str, a.threads))}"
           + (f" --batches {' '.join(map(str, a.batches))}" if a.batches != [1, 32] else '')
           + (f" --repeats {a.repeats}" if a.repeats != 30 else ''))
    machine = _machine.machine(load_before)
    res = dict(preset=a.preset, input_shape=[1, *shape], params=params, threads=a.threads, batches=a.batches,
               repeats=a.repeats, warmup=a.warmup, statistic='median ms per call [interquartile range]',
               command=cmd, date=time.strftime('%Y-%m-%d'), machine=machine, variants=rows)
    out = Path(a.out)
    atomic_write_json(out / 'latency.json', res)
    cols = [(th, b) for th in a.threads for b in a.batches]
    L = [f'# Latency on this CPU, `{a.preset}` preset', '',
         f'Command: `{cmd}` ({res["date"]}; Python {machine["python"]}, torch {machine["torch"]}, onnxruntime '
         f'{machine["onnxruntime"]}; {machine["cpu"]}, {machine["cpu_count"]} cores; 1-min load average '
         f'{machine["load_1min_before"]} before, {machine["load_1min_after"]} after).', '',
         f'Input {res["input_shape"]} (one log-mel window); teacher {params["teacher"]:,} parameters, student '
         f'{params["student"]:,}; random weights. Median ms per call over {a.repeats} calls after {a.warmup} warm-up '
         f'calls, interquartile range in brackets; threads = torch and ONNX Runtime intra-op threads.', '',
         '| variant | runtime | size (MB) | ' + ' | '.join(f'{th} thread{"s" if th > 1 else ""}, batch {b} (ms)' for th, b in cols) + ' |',
         '|---|---|---|' + '---|' * len(cols)]
    for r in rows:
        cells = [f"{r['latency'][f't{th}_b{b}']['median']:.2f} [{r['latency'][f't{th}_b{b}']['q25']:.2f}–"
                 f"{r['latency'][f't{th}_b{b}']['q75']:.2f}]" for th, b in cols]
        L.append(f"| {r['what']} | {r['runtime']} | {r['size_mb']:.2f} | " + ' | '.join(cells) + ' |')
    load_after = machine["load_1min_after"]
    if max(load_before, load_after) > 0.5 * (os.cpu_count() or 1):
        L += ['', f'**Caution:** the machine was busy (load {load_before:.1f} → {load_after:.1f} on {os.cpu_count()} cores): '
                  'numbers with more than one thread are inflated most. Rerun on a quiet machine for reference numbers.']
    atomic_write_text(out / 'latency.md', '\n'.join(L) + '\n')
    print('\n'.join(L))


if __name__ == '__main__':
    main()
