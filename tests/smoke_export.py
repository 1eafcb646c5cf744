"""One smoke run (teacher, KD student, no-KD student, evaluation, export, report) shared by
test_evaluate_export.py and test_predict.py: built once per pytest process, in a temporary folder."""
import atexit, functools, os, shutil, tempfile
from pathlib import Path
from types import SimpleNamespace


@functools.lru_cache(maxsize=1)
def smoke_export():
    "Train the smoke models once and run evaluate, export and report on them (about 30 s on 2 cores)."
    from distilled_vit.core import get_config
    from distilled_vit.rundir import RunDir
    from distilled_vit.data import load_dataset
    from distilled_vit.teacher import train_teacher
    from distilled_vit.distill import distill, train_student_nokd
    from distilled_vit.evaluate import evaluate_stage, write_report
    from distilled_vit.export import export_stage
    root = Path(tempfile.mkdtemp(prefix='dv-smoke-export-'))
    atexit.register(shutil.rmtree, root, True)
    old = os.environ.get('DISTILLED_VIT_CACHE')
    os.environ['DISTILLED_VIT_CACHE'] = str(root / 'cache')
    try:
        # one thread: latency is not what these tests check, and the CPU is shared
        cfg = get_config('smoke', num_threads=1, latency_repeats=2, bootstrap=100)
        data = load_dataset(cfg, progress=False)
        run = RunDir(root / 'run', cfg)
        teacher, _ = train_teacher(cfg, run, data, progress=False)
        student, _ = distill(cfg, run, data, teacher, progress=False)
        nokd, _ = train_student_nokd(cfg, run, data, progress=False)
        ev = evaluate_stage(cfg, run, data, teacher, student, nokd, progress=False)
        ex = export_stage(cfg, run, student, data, progress=False)
        report = write_report(cfg, run, ev, ex, {'data': 0.5, 'teacher': 3.0, 'evaluate': 2.0, 'export': 4.0})
    finally:
        if old is None: os.environ.pop('DISTILLED_VIT_CACHE', None)
        else: os.environ['DISTILLED_VIT_CACHE'] = old
    return SimpleNamespace(root=root, cfg=cfg, data=data, run=run, teacher=teacher, student=student.eval(),
                           nokd=nokd, ev=ev, ex=ex, report=report, export_dir=run.path / 'export')
