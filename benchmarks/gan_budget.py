"""GAN stage cost and quality on a preset (default cpu): `gan_stage` with gan=True for each `--epochs` value.

For each epoch count: training wall time, generation time for 3200 windows (the seed's count), and the stage's quality metrics (gan/metrics.json: label fidelity, Fréchet distance, TSTR, variance).
This is what decides `gan_epochs` for the preset's time budget. Writes benchmarks/results/gan_budget.md and .json
(and copies the run's real-vs-synthetic and label figures). Regenerate with:

    .venv/bin/python benchmarks/gan_budget.py --preset cpu --epochs 20 40
"""
import argparse, json, os, platform, shlex, shutil, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--preset', default='cpu')
    ap.add_argument('--epochs', type=int, nargs='+', default=[20, 40])
    ap.add_argument('--out', default='runs/gan_budget', help='work folder (emptied per epoch count: every run is timed from scratch)')
    ap.add_argument('--results', default=str(ROOT / 'benchmarks' / 'results'))
    a = ap.parse_args(argv)
    os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('MPLBACKEND', 'Agg')
    import torch
    from distilled_vit.core import get_config
    from distilled_vit.rundir import RunDir, atomic_write_json, atomic_write_text, atomic_path
    from distilled_vit.data import prepare_data
    from distilled_vit.gan import gan_stage, load_generator, generate_synthetic
    command = '.venv/bin/python benchmarks/gan_budget.py ' + ' '.join(
        shlex.quote(x) for x in (argv if argv is not None else sys.argv[1:]))
    base = get_config(a.preset)
    dst, rows = Path(a.results), []
    data = None
    for ep in a.epochs:
        cfg = get_config(a.preset, gan=True, gan_epochs=ep)
        shutil.rmtree(Path(a.out) / f'epochs-{ep}', ignore_errors=True)    # fresh: a resumed GAN would time a reload
        run = RunDir(Path(a.out) / f'epochs-{ep}', cfg, check=False)
        if data is None: data = prepare_data(cfg, run, progress=False)
        print(f'--- gan_epochs={ep}', flush=True)
        gan_stage(cfg, run, data)
        m = json.loads((run.path / 'gan' / 'metrics.json').read_text())
        G = load_generator(run.path / 'gan' / 'generator.safetensors', cfg)
        t0 = time.perf_counter(); generate_synthetic(G, cfg, data, 3200, cfg.seed); gen3200 = time.perf_counter() - t0
        rows.append(dict(epochs=ep, metrics=m, generate_3200_s=round(gen3200, 2), n_synthetic=cfg.n_synthetic))
        for fig in ('samples', 'labels'):
            src = run.path / 'gan' / f'{fig}.png'
            if src.exists() and ep == max(a.epochs):
                with atomic_path(dst / f'gan_{a.preset}_{fig}.png') as tmp: shutil.copyfile(src, tmp)
    res = dict(command=command, date=time.strftime('%Y-%m-%d'), preset=a.preset, configured_gan_epochs=base.gan_epochs,
               machine=dict(python=platform.python_version(), torch=torch.__version__, cpu_count=os.cpu_count(),
                            threads=base.num_threads), train_windows=data.info['train_windows'], rows=rows)
    atomic_write_json(dst / 'gan_budget.json', res)
    L = ['# GAN stage: training time and quality per epoch count', '', f'Command: `{command}`', '',
         f"({res['date']}; Python {res['machine']['python']}, torch {res['machine']['torch']}, {res['machine']['cpu_count']} "
         f"CPU cores, {base.num_threads} torch threads.) `{a.preset}` preset with gan=True, trained on "
         f"{res['train_windows']} real training windows; the preset's gan_epochs is {base.gan_epochs}.", '',
         '| gan_epochs | training s | s/epoch | generate 3200 s | label fidelity CCC V / A | FD synth–real (real–real) | '
         'TSTR CCC V / A | variance ratio | metrics s |', '|---|---|---|---|---|---|---|---|---|']
    for r in rows:
        m = r['metrics']
        L.append(f"| {r['epochs']} | {m['train_seconds']:.0f} | {m['seconds_per_epoch']:.1f} | {r['generate_3200_s']:.2f} | "
                 f"{m['label_fidelity']['ccc_valence']:.3f} / {m['label_fidelity']['ccc_arousal']:.3f} | "
                 f"{m['frechet']['synthetic_vs_real']:.2f} ({m['frechet']['real_vs_real']:.2f}) | "
                 f"{m['tstr_real_test']['ccc_valence']:.3f} / {m['tstr_real_test']['ccc_arousal']:.3f} | "
                 f"{m['variance']['ratio']:.2f} | {m['metrics_seconds']:.0f} |")
    ref = rows[0]['metrics']['reference_real_test']
    L += ['', f"Reference regressor on the real test split (the ceiling for label fidelity): CCC V {ref['ccc_valence']:.3f} / "
              f"A {ref['ccc_arousal']:.3f}. Training seconds are the stage's wall time on a quiet machine; the quality "
              'metrics are measured once per run (they train the reference and TSTR regressors).', '',
          f'![real vs synthetic](gan_{a.preset}_samples.png)', f'![labels](gan_{a.preset}_labels.png)', '']
    atomic_write_text(dst / 'gan_budget.md', '\n'.join(L))
    print('\n'.join(L))

if __name__ == '__main__':
    main()
