"""Can the phone-sized student learn what MusiCNN knows about real music? Every teacher and student arm of issue 33,
trained by the package's own pipeline on real recordings, scored on artists it never saw.

The comparison, fixed before any run (2026-12-07, issue 33 items 2 and 3(a); nothing below has been run at full
scale when this was written):
- data: a manifest of real recordings with quadrant labels (valence and arousal each two-valued, the quadrant
  centres ±0.5), by default `../shared/data/4q_dev/manifest.csv` (200 ~30 s MP3 previews, 147 artists; development
  data: its audio, features and models are never committed, only this script's aggregate numbers). The pipeline
  reads each clip as it reads any manifest (the whole file, at most `max_windows` windows a clip);
- folds: artist-grouped 5-fold, `sklearn.model_selection.GroupKFold(5)` over the manifest's `group` column in
  manifest order, exactly as `benchmarks/real_music.py` splits: the same folds for every arm, and for its linear
  probes;
- training, per fold and arm: `distilled-vit distill` (data, pretrain, teacher, KD student, no-KD student) with the
  `cpu` preset, seed 0, on a manifest of the four training folds written into the work folder (outside the
  repository; absolute paths, `allow_absolute_paths=true`). The validation split (and the pipeline's own small
  test split, `test_frac=0.05`, otherwise unused) is drawn from the training folds by the package's own group split
  (`val_frac=0.15`); the held-out fold is never read by anything but the scoring below;
- arms (each a pipeline run; the teacher's and the students' settings):
  `logmel`       `harmony=false` (teacher and students hear the log-mel);
  `harmony`      `harmony=true student_harmony=true` (the `cpu` default: both hear the 16 harmony rows);
  `musicnn`      `harmony=false musicnn=true teacher_musicnn=token` (MusiCNN's embedding is one more teacher
                 token, privileged: the students hear the log-mel alone);
  `both`         `harmony=true student_harmony=true musicnn=true teacher_musicnn=token`;
  `musicnn_head` `harmony=false musicnn=true teacher_musicnn=head` (the embedding beside the pooled features:
                 tokens vs a fused head, issue 33 item 2);
  `musicnn_kd`   the `musicnn` arm's teacher (the stage cache gives it back) and an audio-only student with
                 `kd_musicnn=1.0`: its pooled features also learn MusiCNN's embedding (weight fixed here, not tuned);
  each arm gives its teacher, its KD student and its no-KD student (no-KD students of arms whose students hear the
  same rows are the same model trained again: reported under each arm, identical up to nondeterminism);
- scores, per axis, for every model: the clip's score is the mean of its windows' predictions (mapped from [-1, 1]
  to [0, 1]: 0.5 is the neutral middle); ROC AUC of the held-out clips' scores pooled over the five folds, with a
  95 % bootstrap interval over artists, sign accuracy and quadrant accuracy (`real_music.scores`); a teacher that
  hears MusiCNN is scored with MusiCNN's embedding of the held-out clips (it is its input), a student never is;
- selection (which student would ship): per fold, among the deployable students (the KD and no-KD students of
  every arm), the one with the highest mean of its valence and arousal AUC on that fold's *validation* split
  (clip scores as above; an AUC that cannot be computed counts as 0.5; ties go to the earlier arm in the order
  above, KD before no-KD). The held-out fold's scores of the selected student are pooled into the arm `selected`;
  the folds' choices are listed. Nothing is chosen on a held-out fold; every arm is reported;
- beside them, read from `benchmarks/results/real_music_4q.json` (`real_music.py`, same folds) when present:
  MusiCNN + a linear head (`musicnn_linear`), the package's own features + linear heads, and the default bundle
  applied as it is (`default_bundle_as_is`); they are not run here;
- size (parameters, MB) comes from each model's metrics; latency is not measured here (`benchmarks/latency.py`).

Writes --out (default benchmarks/results/real_music_kd.json and .md: aggregate numbers only); everything else (fold
manifests, runs, caches, per-clip scores) goes to --work. Interrupted, it resumes: a finished run or scored arm in
--work is not done again. `--preset smoke --limit N --folds 0 --arms ...` only checks that the script works.

    .venv/bin/python benchmarks/real_music_kd.py --work /tmp/real_music_kd
"""
import argparse, csv, json, os, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'benchmarks'))
from real_music import AXES, scores, score_cells   # noqa: E402  (real_music.py's scoring and table cells)

ARMS = {   # name: the settings of its pipeline run (--set), in the tie-breaking order of the selection rule
    'logmel': dict(harmony='false', student_harmony='false'),
    'harmony': dict(harmony='true', student_harmony='true'),
    'musicnn': dict(harmony='false', student_harmony='false', musicnn='true', teacher_musicnn='token'),
    'both': dict(harmony='true', student_harmony='true', musicnn='true', teacher_musicnn='token'),
    'musicnn_head': dict(harmony='false', student_harmony='false', musicnn='true', teacher_musicnn='head'),
    'musicnn_kd': dict(harmony='false', student_harmony='false', musicnn='true', teacher_musicnn='token',
                       kd_musicnn='1.0'),
}
COMMON = dict(seed='0', val_frac='0.15', test_frac='0.05', allow_absolute_paths='true')
MODELS = ('teacher', 'student', 'student_nokd')


def folds(rows: list, k: int = 5) -> list:
    "(train, held-out) row indices of each artist-grouped fold: GroupKFold over `group` in manifest order."
    import numpy as np
    from sklearn.model_selection import GroupKFold
    groups = np.array([r.get('group') or r['path'] for r in rows])
    return [(tr, te) for tr, te in GroupKFold(k).split(np.zeros(len(rows)), groups=groups)]


def write_manifest(path: Path, root: Path, rows: list):
    "A manifest of `rows` with absolute paths (atomically)."
    from distilled_vit.rundir import atomic_path
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, 'w', newline='') as f:
        w = csv.writer(f); w.writerow(['path', 'valence', 'arousal', 'group'])
        for r in rows: w.writerow([str((root / r['path']).resolve()), r['valence'], r['arousal'], r.get('group') or r['path']])


def train(preset: str, manifest: Path, out: Path, sets: dict, env: dict) -> None:
    "The pipeline up to both students, in its own process; a finished run is left as it is."
    if (out / 'student_nokd' / 'done.json').exists() and (out / 'student' / 'done.json').exists(): return
    args = ['distill', '--preset', preset, '--data', str(manifest), '--out', str(out),
            '--set', *[f'{k}={v}' for k, v in sets.items()]]
    code = 'import sys; from distilled_vit.cli import main; sys.exit(main())'
    print(f"  distilled-vit {' '.join(args)}", flush=True)
    r = subprocess.run([sys.executable, '-c', code, *args], env=env, cwd=ROOT)
    if r.returncode: raise SystemExit(f"the pipeline failed ({r.returncode}) for {out}")


def clip_scores(pred, clip) -> dict:
    "Mean over each clip's windows of predictions [n, 2] on [-1, 1], mapped to [0, 1]: {clip row: [v, a]}."
    import numpy as np
    return {int(c): ((pred[clip == c].mean(0) + 1) / 2).tolist() for c in np.unique(clip)}


def val_auc(scores_by_clip: dict, clips) -> float:
    "Mean of the valence and arousal AUC of validation clip scores (0.5 where an axis has one class)."
    import numpy as np
    from sklearn.metrics import roc_auc_score
    idx = sorted(scores_by_clip); P = np.array([scores_by_clip[i] for i in idx])
    Y = clips.loc[idx, list(AXES)].to_numpy() > 0
    return float(np.mean([roc_auc_score(Y[:, d], P[:, d]) if len(np.unique(Y[:, d])) == 2 else 0.5
                          for d in range(len(AXES))]))


def score_run(preset: str, manifest: Path, out: Path, sets: dict, held_out: list, root: Path) -> dict:
    """Each model of a finished run: its held-out clip scores (in `held_out` order), its validation AUC (students) and
    its size. The held-out windows are cut exactly as the data stage cut the training windows (`data._file_job`) and
    normalised with the training split's statistics."""
    import dataclasses
    import numpy as np
    from distilled_vit.core import get_config
    from distilled_vit.data import load_dataset, musicnn_windows, pack_embedding, _file_job
    from distilled_vit.harmony import HARMONY_ROWS
    from distilled_vit.teacher import create_teacher
    from distilled_vit.student import create_student, model_size
    from distilled_vit.train import load_weights, predict_windows
    cfg = get_config(preset, data=str(manifest), **sets)
    data = load_dataset(cfg, progress=False)                          # the run's features, from the cache
    made = [_file_job(cfg, str((root / r['path']).resolve())) for r in held_out]
    W = [m[0] for m in made]; owner = np.repeat(np.arange(len(W)), [len(w) for w in W])
    Xh = data.teacher_input(np.concatenate(W))                        # [n, n_mels (+ 16), T], normalised
    tmus = cfg.teacher_musicnn != 'off'
    if tmus:                                                          # the teacher's privileged input, held out too
        E = musicnn_windows(cfg, [(str((root / r['path']).resolve()), m[3]) for r, m in zip(held_out, made)],
                            progress=False)
    rows = {s: cfg.n_mels + (HARMONY_ROWS if s else 0) for s in (False, True)}
    res = {}
    for name in MODELS:
        if name == 'teacher':
            model = create_teacher(dataclasses.replace(cfg, teacher_weights=''))
            X = pack_embedding(Xh, data.musicnn_input(E)) if tmus else Xh
        else:
            model = create_student(cfg); X = Xh[:, :rows[cfg.student_harmony]]
        load_weights(model, out / name / 'model.safetensors').eval()
        hs = clip_scores(predict_windows(model, X), owner)
        r = dict(held_out=[hs[i] for i in range(len(held_out))], **model_size(model))
        if name != 'teacher':                                          # the selection reads validation only
            Xv = data.teacher_arrays('val')[0][:, :rows[cfg.student_harmony]]
            r['val_auc'] = val_auc(clip_scores(predict_windows(model, Xv), data.clip[data.index('val')]), data.clips)
        res[name] = r
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', default=str(ROOT.parent / 'shared' / 'data' / '4q_dev' / 'manifest.csv'))
    ap.add_argument('--work', required=True, help='fold manifests, runs, caches, scores (outside the repository)')
    ap.add_argument('--preset', default='cpu', help="the rule's preset is cpu; smoke only checks the script")
    ap.add_argument('--arms', nargs='*', default=list(ARMS), help='the rule runs them all')
    ap.add_argument('--folds', nargs='*', type=int, default=None, help='the rule runs all five')
    ap.add_argument('--limit', type=int, default=0, help='only the first N clips of the manifest (script checks only)')
    ap.add_argument('--probes', default=str(ROOT / 'benchmarks' / 'results' / 'real_music_4q.json'))
    ap.add_argument('--out', default=str(ROOT / 'benchmarks' / 'results' / 'real_music_kd.json'))
    a = ap.parse_args()
    import numpy as np
    from distilled_vit.rundir import atomic_write_json, atomic_write_text
    t0, work = time.perf_counter(), Path(a.work).resolve()
    if ROOT in work.parents or work == ROOT: raise SystemExit(f"--work {work} is inside the repository: put it outside")
    unknown = sorted(set(a.arms) - set(ARMS))
    if unknown: raise SystemExit(f"unknown arm(s) {', '.join(unknown)}; arms: {', '.join(ARMS)}")
    arms = [n for n in ARMS if n in a.arms]                            # the rule's order
    env = dict(os.environ, DISTILLED_VIT_CACHE=str(work / 'cache'), HF_HUB_OFFLINE='1', MPLBACKEND='Agg')
    os.environ.update(DISTILLED_VIT_CACHE=env['DISTILLED_VIT_CACHE'], HF_HUB_OFFLINE='1', MPLBACKEND='Agg')
    man = Path(a.data).resolve(); rows = list(csv.DictReader(open(man)))
    if a.limit: rows = rows[:a.limit]
    Y = np.array([[float(r['valence']) > 0, float(r['arousal']) > 0] for r in rows], int)
    groups = np.array([r.get('group') or r['path'] for r in rows])
    split = folds(rows); todo = range(len(split)) if a.folds is None else a.folds
    P = {f'{arm}/{m}': np.full((len(rows), 2), np.nan) for arm in arms for m in MODELS}
    P['selected'] = np.full((len(rows), 2), np.nan)
    sizes, chosen = {}, {}
    for k in todo:
        tr, te = split[k]
        fold = work / f'fold{k}'; manifest = fold / 'train.csv'
        write_manifest(manifest, man.parent, [rows[i] for i in tr])
        print(f"fold {k + 1}/{len(split)}: {len(tr)} training clips, {len(te)} held out", flush=True)
        val = {}
        for arm in arms:
            sets = dict(COMMON, **ARMS[arm]); out = fold / arm
            train(a.preset, manifest, out, sets, env)
            sf = out / 'scores.json'                                    # scored once; a rerun reads it
            if not sf.exists(): atomic_write_json(sf, score_run(a.preset, manifest, out, sets, [rows[i] for i in te], man.parent))
            s = json.loads(sf.read_text())
            for m in MODELS:
                P[f'{arm}/{m}'][te] = s[m]['held_out']
                sizes[f'{arm}/{m}'] = dict(params=s[m]['params'], size_mb=round(s[m]['size_mb'], 3))
                if m != 'teacher': val[f'{arm}/{m}'] = s[m]['val_auc']
        best = max(val, key=lambda n: (val[n], -list(val).index(n)))   # ties: the earlier arm (KD before no-KD)
        chosen[k] = dict(model=best, val_auc={n: round(v, 4) for n, v in val.items()})
        P['selected'][te] = P[best][te]
        print(f"fold {k + 1}: selected on validation: {best} (mean AUC {val[best]:.3f})", flush=True)
    done = np.isfinite(P['selected'][:, 0])
    res = dict(data=man.parent.name, clips=int(done.sum()), artists=int(len(np.unique(groups[done]))),
               folds=sorted(todo), preset=a.preset, arms_run=arms, settings={n: dict(COMMON, **ARMS[n]) for n in arms},
               selection=chosen, models={}, date=time.strftime('%Y-%m-%d'), wall_s=round(time.perf_counter() - t0, 1),
               command='.venv/bin/python benchmarks/real_music_kd.py ' + ' '.join(sys.argv[1:]))
    both = all(len(np.unique(Y[done, d])) == 2 for d in range(len(AXES)))
    for name, p in P.items():                                        # (an AUC needs both classes: a tiny check's
        r = scores(Y[done], p[done], groups[done], name) if both else dict(  # held-out clips may lack one)
            what=name, **{f'{x}_{k}': None for x in AXES for k in ('auc', 'auc_ci95', 'sign_accuracy')},
            quadrant_accuracy=None)
        res['models'][name] = dict(r, **sizes.get(name, {}))
    if Path(a.probes).exists():                                         # real_music.py's arms, same folds, not run here
        pr = json.loads(Path(a.probes).read_text())
        res['from_real_music'] = dict(file=str(Path(a.probes).relative_to(ROOT)) if ROOT in Path(a.probes).resolve().parents
                                      else a.probes, clips=pr.get('clips'), date=pr.get('date'), arms=pr['arms'])
    out = Path(a.out)
    atomic_write_json(out, res); atomic_write_text(out.with_suffix('.md'), markdown(res))
    print(out.with_suffix('.md').read_text())


def markdown(r: dict) -> str:
    lines = [f"# Real recorded music, trained on it: `{r['data']}`, {r['clips']} clips, {r['artists']} artists", '',
             f"Command: `{r['command']}` ({r['date']}, preset `{r['preset']}`, folds {r['folds']}). Each arm is the "
             "package's pipeline trained on the other folds; its held-out clips' scores (mean over windows) are pooled "
             "over the folds; intervals: 95 % bootstrap over artists. `selected`: per fold the student with the best "
             "validation AUC (rule in the script's docstring).", '',
             '| model | valence AUC | arousal AUC | valence sign acc. | arousal sign acc. | quadrant acc. | params | MB |',
             '|---|---|---|---|---|---|---|---|']
    for k, v in r['models'].items():
        lines.append(' | '.join([f"| `{k}`", *score_cells(v), str(v.get('params') or '–'), str(v.get('size_mb') or '–')])
                     + ' |')
    lines += ['', '| fold | selected on validation | its validation AUC |', '|---|---|---|']
    for k, c in r['selection'].items():
        lines.append(f"| {int(k) + 1} | `{c['model']}` | {c['val_auc'][c['model']]:.3f} |")
    if r.get('from_real_music'):
        fr = r['from_real_music']
        lines += ['', f"From `{fr['file']}` ({fr['date']}, {fr['clips']} clips, same folds; not run here):", '',
                  '| arm | valence AUC | arousal AUC | quadrant acc. |', '|---|---|---|---|']
        for k, v in fr['arms'].items():
            lines.append(' | '.join([f"| `{k}`", *score_cells(v, signs=False)]) + ' |')
    return '\n'.join(lines) + '\n'


if __name__ == '__main__':
    main()
