"""How do the models do on real recorded music? Quadrant-labelled real recordings, every arm on the same folds.

The comparison, fixed before any result was read (2026-12-07; issues 33 and 34):
- data: a manifest of real recordings with quadrant labels (valence and arousal each two-valued, e.g. the quadrant
  centres ±0.5), by default `../shared/data/4q_dev/manifest.csv` (200 ~30 s MP3 previews, 147 artists; development
  data: its audio, features and models trained on it are never committed, only this script's aggregate numbers);
  each clip's first 30 s, mono;
- folds: artist-grouped 5-fold, `sklearn.model_selection.GroupKFold(5)` over the manifest's `group` column in manifest
  order: the same folds for every arm, an artist never on both sides;
- scores, per axis: ROC AUC of the out-of-fold predictions pooled over the five folds, with a 95 % bootstrap interval
  over artists (2,000 resamples of the artists with replacement, seed 0); sign accuracy; quadrant accuracy (both
  signs right);
- the linear heads: `StandardScaler` + `LogisticRegressionCV` (C from 11 values over 1e-3..1e2, chosen by an inner
  5-fold CV on the training folds only), one per axis, on pooled clip features (per-row mean and std over time);
- arms (every one reported, nothing chosen here):
  `default_bundle_as_is` — the bundle `make run` exports (trained on the package's synthetic music only), applied as it
  is: its clip valence/arousal (`predict`, mean over windows) are the scores, no fitting, no folds;
  `musicnn_linear` — MusiCNN's MSD penultimate embedding (200-d, mean + std over 3 s patches; 01c_musicnn), the
  recipe a user would otherwise pick (Essentia ships MusiCNN + a linear head);
  `logmel_linear`, `harmony_linear`, `logmel_harmony_linear` — the package's own front end (`cpu` preset: 64-band
  log-mel; the 16 harmony rows of 01b_harmony), what the teacher and the shipped student hear;
  `musicnn_harmony_linear` — both;
- size and latency are not measured here (timings are taken alone on the machine: `benchmarks/musicnn_cost.py`,
  `benchmarks/harmony_cost.py`, `benchmarks/latency.py`).

Writes benchmarks/results/<name>.json and .md (aggregate numbers only). Features are cached in --work (default a
temporary folder), outside the repository.

    .venv/bin/python benchmarks/real_music.py --model runs/cpu/export
"""
import argparse, csv, json, os, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AXES = ('valence', 'arousal')


def pooled(M):
    "Per-row mean and std over time of a [rows, frames] array."
    import numpy as np
    return np.concatenate([M.mean(1), M.std(1)]).astype(np.float32)


def artist_bootstrap_auc(y, p, groups, n=2000, seed=0):
    "AUC of scores `p` for binary `y` and its 95 % interval over `n` resamples of the groups (artists)."
    import numpy as np
    from sklearn.metrics import roc_auc_score
    ug, inv = np.unique(groups, return_inverse=True)
    rng = np.random.default_rng(seed); members = [np.flatnonzero(inv == g) for g in range(len(ug))]
    out = []
    for _ in range(n):
        idx = np.concatenate([members[g] for g in rng.integers(0, len(ug), len(ug))])
        if len(np.unique(y[idx])) == 2: out.append(roc_auc_score(y[idx], p[idx]))
    return float(roc_auc_score(y, p)), [float(np.percentile(out, 2.5)), float(np.percentile(out, 97.5))]


def scores(Y, P, groups, what):
    "The arm's record: per-axis AUC with its interval, sign accuracy, quadrant accuracy. P: scores, > 0.5 = positive."
    import numpy as np
    r = dict(what=what)
    for d, ax in enumerate(AXES):
        r[f'{ax}_auc'], r[f'{ax}_auc_ci95'] = artist_bootstrap_auc(Y[:, d], P[:, d], groups)
        r[f'{ax}_sign_accuracy'] = float(((P[:, d] > 0.5) == Y[:, d]).mean())
    r['quadrant_accuracy'] = float(((P > 0.5) == Y).all(1).mean())
    r['size_mb'] = r['ms_per_30s_clip'] = None
    return r


def linear_oof(X, Y, groups):
    "Out-of-fold probabilities [n, 2] of one logistic head per axis on the fixed artist folds."
    import numpy as np
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    P = np.zeros(Y.shape, float)
    for tr, te in GroupKFold(5).split(X, Y, groups):
        for d in range(Y.shape[1]):
            m = make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=np.logspace(-3, 2, 11), max_iter=5000))
            P[te, d] = m.fit(X[tr], Y[tr, d]).predict_proba(X[te])[:, 1]
    return P


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', default=str(ROOT.parent / 'shared' / 'data' / '4q_dev' / 'manifest.csv'))
    ap.add_argument('--model', default=str(ROOT / 'runs' / 'cpu' / 'export'), help='the bundle applied as it is')
    ap.add_argument('--seconds', type=float, default=30.0)
    ap.add_argument('--work', default=None, help='feature cache (default: a temporary folder)')
    ap.add_argument('--name', default='real_music_4q')
    a = ap.parse_args()
    os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('MPLBACKEND', 'Agg')
    work = Path(a.work or tempfile.mkdtemp(prefix='dvit-real-music-')); work.mkdir(parents=True, exist_ok=True)
    os.environ['DISTILLED_VIT_CACHE'] = str(work / 'cache')       # MusiCNN's per-file cache: outside the repository
    import numpy as np
    from tqdm.auto import tqdm
    from distilled_vit.core import get_config
    from distilled_vit.audio import load_audio, log_mel
    from distilled_vit.harmony import harmony_features, transcriber_session
    from distilled_vit.musicnn import musicnn_embed, musicnn_model, MUSICNN_RATE
    from distilled_vit.inference import load_predictor, predict
    from distilled_vit.rundir import atomic_write_json, atomic_write_text
    t0 = time.perf_counter()
    man = Path(a.data).resolve(); rows = list(csv.DictReader(open(man)))
    Y = np.array([[float(r['valence']) > 0, float(r['arousal']) > 0] for r in rows], int)
    groups = np.array([r.get('group') or r['path'] for r in rows])
    feats = work / 'features.npz'
    if feats.exists(): F = dict(np.load(feats))
    else:
        cfg, sess, net = get_config('cpu'), transcriber_session(threads=2), musicnn_model()
        F = {k: [] for k in ('mel', 'harmony', 'musicnn')}
        for r in tqdm(rows, desc='features'):
            p = man.parent / r['path']
            y = load_audio(p, cfg.sample_rate)[: int(a.seconds * cfg.sample_rate)]
            M = log_mel(y, cfg); F['mel'].append(pooled(M))
            F['harmony'].append(pooled(harmony_features(y, cfg, n_frames=M.shape[1], session=sess)))
            y16 = load_audio(p, MUSICNN_RATE)[: int(a.seconds * MUSICNN_RATE)]
            F['musicnn'].append(pooled(musicnn_embed(y16, MUSICNN_RATE, model=net)['penultimate'].T))
        F = {k: np.stack(v) for k, v in F.items()}; np.savez(feats, **F)
    arms = {}
    probes = dict(musicnn_linear=(['musicnn'], "MusiCNN MSD penultimate (mean + std over 3 s patches) + logistic head"),
                  logmel_linear=(['mel'], "the package's 64-band log-mel (mean + std) + logistic head"),
                  harmony_linear=(['harmony'], "the 16 harmony rows (mean + std) + logistic head"),
                  logmel_harmony_linear=(['mel', 'harmony'], "log-mel + harmony rows + logistic head (what the default student hears)"),
                  musicnn_harmony_linear=(['musicnn', 'harmony'], "MusiCNN embedding + harmony rows + logistic head"))
    for name, (keys, what) in probes.items():
        arms[name] = scores(Y, linear_oof(np.concatenate([F[k] for k in keys], 1), Y, groups), groups, what)
        arms[name]['dims'] = int(sum(F[k].shape[1] for k in keys))
        print(name, {k: round(v, 3) for k, v in arms[name].items() if isinstance(v, float)}, flush=True)
    bundle = None
    if Path(a.model).exists():
        pred = load_predictor(a.model)
        lo, hi = pred.label_range
        V = []
        for r in tqdm(rows, desc='default bundle'):
            res = predict(man.parent / r['path'], pred); V.append([res['valence'], res['arousal']])
        V = (np.array(V) - lo) / (hi - lo)                             # the bundle's label scale -> [0, 1]: 0.5 is neutral
        arms['default_bundle_as_is'] = scores(Y, V, groups, "the make run bundle (trained on synthetic music only), applied as it is")
        bundle = dict(trained_on=pred.training_data, variant=pred.variant, kind=pred.kind,
                      hears_harmony=pred.harmony is not None)
        print('default_bundle_as_is', {k: round(v, 3) for k, v in arms['default_bundle_as_is'].items() if isinstance(v, float)})
    res = dict(data=man.parent.name, clips=len(rows), artists=int(len(np.unique(groups))), folds=5, seconds=a.seconds,
               quadrants={q: int(((Y[:, 0] == v) & (Y[:, 1] == w)).sum()) for q, (v, w) in
                          dict(Q1=(1, 1), Q2=(0, 1), Q3=(0, 0), Q4=(1, 0)).items()},
               bundle=bundle, arms=arms, date=time.strftime('%Y-%m-%d'), wall_s=round(time.perf_counter() - t0, 1),
               command=f".venv/bin/python benchmarks/real_music.py --name {a.name}"
                       + (f" --model {a.model}" if a.model != ap.get_default('model') else ''))
    out = ROOT / 'benchmarks' / 'results'
    atomic_write_json(out / f'{a.name}.json', res); atomic_write_text(out / f'{a.name}.md', markdown(res))
    print((out / f'{a.name}.md').read_text())


def num(x) -> str:
    "A score to three decimals, '–' where undefined."
    return '–' if x is None else f'{x:.3f}'


def with_ci(v: dict, key: str) -> str:
    "`v[key]` with its 95 % interval `v[key + '_ci95']` when there is one."
    c = v.get(f'{key}_ci95')
    return num(v[key]) + ('' if not c else f' [{c[0]:.2f}, {c[1]:.2f}]')


def score_cells(v: dict, signs: bool = True) -> list:
    "A table row's score cells: AUC per axis with intervals, (sign accuracy per axis,) quadrant accuracy."
    return ([with_ci(v, f'{x}_auc') for x in AXES] + ([num(v[f'{x}_sign_accuracy']) for x in AXES] if signs else [])
            + [num(v['quadrant_accuracy'])])


def markdown(r: dict) -> str:
    lines = [f"# Real recorded music: `{r['data']}`, {r['clips']} clips, {r['artists']} artists", '',
             f"Command: `{r['command']}` ({r['date']}). Quadrants {r['quadrants']}; first {r['seconds']:.0f} s of each clip. "
             "Linear heads: artist-grouped 5-fold (the same folds for every arm), out-of-fold predictions pooled; "
             "intervals: 95 % bootstrap over artists. The default bundle is applied as it is (no fitting).", '',
             '| arm | valence AUC | arousal AUC | valence sign acc. | arousal sign acc. | quadrant acc. | what |',
             '|---|---|---|---|---|---|---|']
    for k, v in r['arms'].items():
        lines.append(' | '.join([f"| `{k}`", *score_cells(v), v['what']]) + ' |')
    return '\n'.join(lines) + '\n'


if __name__ == '__main__':
    main()
