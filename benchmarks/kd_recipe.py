"""Does distillation earn its name? Teacher, KD student (each response term), no-KD student and ridge over seeds.

The comparison, fixed before any result was read:
- every arm trains on the same data (the preset's split, `data_seed` fixed) with the preset's epochs and optimiser;
  seeds change initialisation and batch order only;
- arms: the teacher (the preset's: ViT-S/16 with the student's conv stem on `cpu`), the KD student with the
  CCC response term and with the MSE response term (same teacher), the no-KD student (labels only, the baseline
  KD must beat) and the ridge baseline on pooled log-mels;
- the KD arm the preset ships is the one with the higher mean *validation* CCC over seeds (best epoch);
  test numbers are only reported;
- (added 2026-11-29, written before the rerun it governs) the validation split (90 songs) could not separate arms
  ~0.03 apart on test: its paired differences swing ±0.03 from seed to seed. With embedded data a larger
  *development* set costs nothing: `--dev N` (default 600) synthesises N fresh songs from another data seed
  (never trained on, never tested on; the test split's distribution), windows and normalises them as the training
  data (train statistics) and scores every arm's kept checkpoint (the best-validation epoch, i.e. the model that is
  tested) on them. When a dev set is there it replaces best-epoch validation CCC in the rule above: the shipped
  KD arm is the shippable one with the highest mean dev CCC over seeds; the report gives each arm's dev CCC and the
  paired KD − no-KD dev difference with its intervals next to the test one;
- (added 2026-11-29, before the kd_corpus=2000 arm ran) a preset's default must also keep `make run` within its
  budget (issue 12: ≤ 20 min cold on this 2-core machine). Each arm's training seconds (the sum of its epochs) are
  recorded; `--too-slow NAME` marks an arm whose extra time (corpus synthesis + longer distillation, measured here:
  4,000 corpus windows add ≈ 166 s of synthesis and ≈ 260 s of distillation to a 14.8 min pipeline) would push the
  preset over that budget: it is reported, and a user can turn it on, but it is left out of the preset's choice;
- (added 2026-11-29, eighth session, before the run it governs) `make run` measured 22.6 min with the 10-epoch
  ViT-S teacher (708 s of it the teacher); the stages that do not change results are made faster first (parallel
  synthesis and ExecuTorch lowering). The teacher's epochs are then chosen like an arm, by the two rules above:
  candidates `teacher_epochs` 10 (the preset until now, `kd_recipe_dev`) and 8 (`--set teacher_epochs=8
  --no-other --name kd_recipe_t8`: same seeds, same dev set, the shipped KD arm, the no-KD student, ridge); the
  preset ships the one with the higher mean dev CCC of the shipped KD student among those whose `make run` fits in
  20 min, measured cold and alone with `benchmarks/pipeline.py` (the other candidate's time = the measured run ±
  2 × its teacher's mean epoch seconds); if neither fits, the faster one, and the README says the budget is missed.
  Both candidates' test numbers are reported whichever is shipped;
- further KD arms (`--extra`, e.g. the teacher-labelled mixup transfer set) are distilled from the very same teachers
  and judged by the same rule; the report says they were added after the base arms had run;
- an arm that needs audio from outside the project (`unlabelled=DIR`, the user's own music as transfer set) is
  measured and reported but cannot be what a preset ships (the project carries no such folder), so it is left out
  of the choice, and the report names it with its validation CCC;
- a KD arm that trains on more windows than the labelled set (a transfer set) also takes more optimiser steps;
  `--control` arms (labels only, e.g. `kd_epochs=40` ≈ the steps of 10 epochs over 1,260 labelled + 4,000 corpus
  windows) separate "more steps" from "the teacher's knowledge";
- (added 2026-12-04, before the runs it governs; issue 25) **harmony**: `--set harmony=true` gives the teacher the
  transcriber's key-invariant harmony rows (01b_harmony) as privileged input while the students hear audio only;
  `--harmony-student` adds the arm a user would deploy if it wins, a no-KD student that also hears the harmony rows
  (the transcriber in front of the student at inference). Compared with the same command without harmony (same
  seeds, dev set, epochs, corpus): the cpu preset turns `harmony` on when the shipped KD student's mean dev CCC over
  seeds is higher with harmony than without and `make run` stays within its 20 min budget (measured cold and alone
  with `benchmarks/pipeline.py`); the transcriber + student arm is reported (size, latency, CCC) but is not what a
  preset ships (the exported students are audio-only). Test numbers are reported whichever way it goes;
- (added 2026-12-04, after the mel harmony runs above and before this one) the mel student could not follow the
  harmony teacher (its dev CCC fell, 0.449 vs 0.462 without harmony), as a 64-band mel cannot resolve semitones. The
  next arm gives the students log-spaced bands that can: `--set harmony=true freq_scale=log n_mels=96 n_fft=2048`
  (12 bands per octave over 30 Hz–8 kHz). It becomes the cpu preset's default when the student `kd_gate` would ship
  from it (the KD or the no-KD student, higher validation CCC) has a higher mean dev CCC over seeds than the mel
  preset's shipped student (0.462, `gpu_harmony_false`) and `make run` stays within 20 min; else it stays an option;
- (added 2026-12-04, before the run it governs; issue 25 item 4) with `--harmony-student` a second transcriber + student
  arm is distilled from the same harmony teacher (`student_harmony=true`: the KD student hears the rows too). The
  transcriber + student a user would deploy is the one of the two (no KD, KD) with the higher mean dev CCC over seeds;
  issue 25's goal for it (valence ≥ 0.5, 3-seed mean of test CCC) is read on that arm. Both are reported;
- (added 2026-12-07, before the run it governs; issue 34) **harmony by default**: the `cpu` preset now trains the
  harmony teacher and both students hear the rows (`harmony=true student_harmony=true`, the arms of the earlier
  transcriber + student runs, now the pipeline's own KD and no-KD students); the ridge baseline sees what they see
  (pooled log-mel and harmony rows). `--preset cpu --seeds 0 1 2 --no-other --name kd_recipe_harmony_default` is the
  default model's benchmark (not run on 2026-12-07 for lack of machine time: until it is, the README reads the
  default's three seeds from `kd_recipe_transcriber_kd`'s transcriber + student arms, the same models, whose seed 0
  gives make run's numbers within 6e-4, and the song bootstrap from make run). Issue 34's goals are read on it and reported
  whether met or not: teacher valence test CCC ≥ 0.55, the shipped student's (the pipeline's `kd_gate`: the student
  with the higher validation CCC) valence ≥ 0.55, KD − no-KD ≥ +0.02 mean test CCC over 3 seeds with its song
  bootstrap interval above zero (the t interval beside it). Nothing is chosen on test;
- the headline is the paired KD − no-KD difference of mean test CCC: mean ± std over seeds, a t interval over
  seeds (wide with 3 seeds), and a song-level bootstrap of the seed-averaged difference on the test split.

Writes benchmarks/results/<name>.json and .md. Regenerate with:

    .venv/bin/python benchmarks/kd_recipe.py --preset cpu --seeds 0 1 2
    .venv/bin/python benchmarks/kd_recipe.py --preset cpu --seeds 0 --data ../shared/data/emopia_dev/manifest.csv \\
        --name kd_recipe_emopia
"""
import argparse, json, os, platform, shlex, shutil, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESPONSES = ('ccc', 'mse')


def _parse_extra(s: str):
    name, _, sets = s.partition('=')
    return name.strip(), [x for x in sets.split(',') if x.strip()]


def _best_val(stage_dir: Path) -> float:
    import pandas as pd
    return float(pd.read_csv(stage_dir / 'history.csv').val_ccc_mean.max())


def _train_s(stage_dir: Path) -> float:
    "Seconds of training (the sum of the epochs' times) of the model in `stage_dir`."
    import pandas as pd
    return float(pd.read_csv(stage_dir / 'history.csv').seconds.sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--preset', default='cpu')
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--data', default=None, help='data source (default: the preset\'s embedded data)')
    ap.add_argument('--set', nargs='*', default=[], help='config overrides key=value (as the CLI)')
    ap.add_argument('--name', default='kd_recipe')
    ap.add_argument('--work', default=None, help='keep run directories here (default: a temporary folder, removed); '
                                                 'finished seeds and arms found there are reused')
    ap.add_argument('--extra', nargs='*', default=[], help="further KD arms from the same teachers: 'name=key=value,key=value'")
    ap.add_argument('--control', nargs='*', default=[], help="further no-KD arms (labels only), e.g. the same student with "
                                                             "as many optimiser steps as a KD arm: 'name=key=value,...'")
    ap.add_argument('--dev', type=int, default=None, help='fresh procedural songs scored as a development set for the '
                                                           'choice of arm (embedded data only; default 600, 0 = off)')
    ap.add_argument('--too-slow', nargs='*', default=[], help="KD arms measured but left out of the preset's choice because "
                                                               "they would push make run over its time budget")
    ap.add_argument('--no-other', action='store_true', help="skip the KD arm with the other response term (when a "
                                                             "comparison only needs the preset's own arms)")
    ap.add_argument('--harmony-student', action='store_true', help="with harmony=true: also a no-KD student that hears the "
                                                                   "harmony rows (transcriber + student at inference)")
    ap.add_argument('--render', action='store_true', help='rewrite the .md from the committed .json and stop')
    a = ap.parse_args()
    if a.render:
        res = json.loads((ROOT / 'benchmarks' / 'results' / f'{a.name}.json').read_text())
        (ROOT / 'benchmarks' / 'results' / f'{a.name}.md').write_text(markdown(res)); return
    os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('MPLBACKEND', 'Agg')
    import numpy as np, pandas as pd, torch
    from scipy import stats
    from distilled_vit.core import get_config, parse_overrides, DIMS
    from distilled_vit.rundir import atomic_write_json, atomic_write_text, RunDir
    from distilled_vit.cli import run_pipeline
    from distilled_vit.data import load_dataset
    from distilled_vit.train import load_weights, predict_windows
    from distilled_vit.teacher import create_teacher
    from distilled_vit.student import create_student
    from distilled_vit.distill import distill, train_student_nokd
    from distilled_vit.metrics import va_metrics, bootstrap_weights, weighted_metrics, percentile_ci
    import dataclasses
    ov = parse_overrides(a.set)
    if a.data: ov['data'] = str(Path(a.data).resolve())
    base = get_config(a.preset, **ov)
    other = [r for r in RESPONSES if r != base.kd_response][0]
    work = Path(a.work) if a.work else Path(tempfile.mkdtemp(prefix='dvit-kd-recipe-'))
    t_all = time.perf_counter()
    extras = [_parse_extra(e) for e in a.extra]
    controls = [_parse_extra(e) for e in a.control]
    per_seed, test_preds, dev_preds = [], {}, {}
    n_dev = (600 if base.data == 'embedded' else 0) if a.dev is None else a.dev
    if n_dev and base.data != 'embedded': raise SystemExit('--dev needs the embedded data (it synthesises fresh songs)')
    dev = load_dataset(dataclasses.replace(base, data_seed=base.data_seed + 10_000, n_clips=n_dev), progress=True) if n_dev else None
    for seed in a.seeds:
        cfg = dataclasses.replace(base, seed=seed)
        out = work / f'seed{seed}'
        t0 = time.perf_counter()
        if not (out / 'evaluate' / 'evaluation.json').exists():       # a finished seed (e.g. from --work) is reused
            run_pipeline(cfg, out, until='evaluate', progress=True)
        ev = json.loads((out / 'evaluate' / 'evaluation.json').read_text())
        pr = pd.read_csv(out / 'evaluate' / 'predictions.csv')
        data = load_dataset(cfg, progress=False)
        Xte, yte = data.arrays('test')
        if dev is not None:                                            # this seed's training statistics
            Xdev, ydev = data.norm(dev.X.astype(np.float32)), dev.y
            Xdev_t = data.teacher_input(dev.X, dev.H)                  # the teacher's (with harmony rows when `harmony`)
        if cfg.student_harmony:                                        # the students hear what the teacher hears
            Xte = data.teacher_arrays('test')[0]
            if dev is not None: Xdev = Xdev_t
        dp = {}
        def score(name, model):
            "Test predictions of `model`; its dev-set predictions go to dp[name]."
            if dev is not None: dp[name] = predict_windows(model, Xdev)
            return predict_windows(model, Xte)
        def load_teacher():
            nonlocal teacher
            if teacher is None:
                teacher = load_weights(create_teacher(dataclasses.replace(cfg, teacher_weights='')), out / 'teacher' / 'model.safetensors')
            return teacher
        np.testing.assert_allclose(pr[[f'true_{d}' for d in DIMS]].to_numpy(), yte, atol=1e-5)
        teacher = None
        def kd_arm(arm, name, arm_cfg):
            "Distil `arm_cfg`'s student (arm `arm`) from this seed's teacher into out/student_<name> (reused when there)."
            d = out / f'student_{name}'; dirs[arm] = d
            if (d / 'metrics.json').exists(): student = load_weights(create_student(arm_cfg), d / 'model.safetensors')
            else: student, _ = distill(arm_cfg, RunDir(work / 'scratch', cfg, check=False), data, load_teacher(), progress=True, out_dir=d)
            return score(arm, student), _best_val(d)
        preds = {'teacher': pr[[f'teacher_{d}' for d in DIMS]].to_numpy(),
                 f'kd_{base.kd_response}': pr[[f'student_{d}' for d in DIMS]].to_numpy(),
                 'nokd': pr[[f'student_nokd_{d}' for d in DIMS]].to_numpy(),
                 'ridge': pr[[f'baseline_{d}' for d in DIMS]].to_numpy()}
        dirs = {'teacher': out / 'teacher', f'kd_{base.kd_response}': out / 'student', 'nokd': out / 'student_nokd'}
        val = {'teacher': _best_val(out / 'teacher'), f'kd_{base.kd_response}': _best_val(out / 'student'),
               'nokd': _best_val(out / 'student_nokd')}
        if dev is not None:                                            # the pipeline's own models on the dev set
            dp['teacher'] = predict_windows(load_teacher(), Xdev_t)
            dp[f'kd_{base.kd_response}'] = predict_windows(load_weights(create_student(cfg), out / 'student' / 'model.safetensors'), Xdev)
            dp['nokd'] = predict_windows(load_weights(create_student(cfg), out / 'student_nokd' / 'model.safetensors'), Xdev)
        # the other response term, distilled from the very same teacher
        if not a.no_other:
            preds[f'kd_{other}'], val[f'kd_{other}'] = kd_arm(f'kd_{other}', other, dataclasses.replace(cfg, kd_response=other))
        for name, sets in extras:                                      # further levers, same teacher
            preds[name], val[name] = kd_arm(name, name, get_config(a.preset, **(ov | parse_overrides(sets) | dict(seed=str(seed)))))
        for name, sets in controls:                                    # further no-KD arms (labels only)
            d = dirs[name] = out / f'student_{name}'; ccfg = get_config(a.preset, **(ov | parse_overrides(sets) | dict(seed=str(seed))))
            if (d / 'metrics.json').exists(): student = load_weights(create_student(ccfg), d / 'model.safetensors')
            else: student, _ = train_student_nokd(ccfg, RunDir(work / 'scratch', cfg, check=False), data, progress=True, out_dir=d)
            preds[name], val[name] = score(name, student), _best_val(d)
        if a.harmony_student and data.H is not None:                   # transcriber + student: the student hears the harmony rows
            import copy
            from distilled_vit.harmony import HARMONY_ROWS
            d = dirs['transcriber_student'] = out / 'student_transcriber'
            hcfg = dataclasses.replace(cfg, n_mels=cfg.n_mels + HARMONY_ROWS)   # its input rows: log-mel + harmony
            hdata = copy.copy(data); hdata.arrays = data.teacher_arrays      # the teacher's windows, labels only
            if (d / 'metrics.json').exists(): hs = load_weights(create_student(hcfg), d / 'model.safetensors')
            else: hs, _ = train_student_nokd(hcfg, RunDir(work / 'scratch', cfg, check=False), hdata, progress=True, out_dir=d)
            preds['transcriber_student'], val['transcriber_student'] = predict_windows(hs, data.teacher_arrays('test')[0]), _best_val(d)
            if dev is not None: dp['transcriber_student'] = predict_windows(hs, Xdev_t)
            d = dirs['transcriber_student_kd'] = out / 'student_transcriber_kd'        # the same, distilled from this teacher
            kcfg = dataclasses.replace(cfg, student_harmony=True)
            if (d / 'metrics.json').exists(): ks = load_weights(create_student(kcfg), d / 'model.safetensors')
            else: ks, _ = distill(kcfg, RunDir(work / 'scratch', cfg, check=False), data, load_teacher(), progress=True, out_dir=d)
            preds['transcriber_student_kd'], val['transcriber_student_kd'] = predict_windows(ks, data.teacher_arrays('test')[0]), _best_val(d)
            if dev is not None: dp['transcriber_student_kd'] = predict_windows(ks, Xdev_t)
        row = dict(seed=seed, seconds=round(time.perf_counter() - t0, 1),
                   params=dict(teacher=ev['teacher']['params'], student=ev['student']['params']))
        tm = json.loads((out / 'teacher' / 'metrics.json').read_text())
        if 'pretrain' in tm: row['teacher_pretrain'] = tm['pretrain']                # its validation R² per attribute
        for arm, p in preds.items():
            m = va_metrics(yte, p)
            row[arm] = dict(test_ccc_valence=m['ccc_valence'], test_ccc_arousal=m['ccc_arousal'],
                            test_ccc_mean=m['ccc_mean'], val_ccc_mean=val.get(arm))
            if arm in dp: row[arm]['dev_ccc_mean'] = va_metrics(ydev, dp[arm])['ccc_mean']
            if arm in dirs: row[arm]['train_s'] = _train_s(dirs[arm])
        per_seed.append(row); test_preds[seed] = preds; dev_preds[seed] = dp
        groups = pr.group.to_numpy()
        print(json.dumps(row), flush=True)
    arms = list(test_preds[a.seeds[0]])
    summ = {}
    for arm in arms:
        for k in ('test_ccc_valence', 'test_ccc_arousal', 'test_ccc_mean', 'val_ccc_mean', 'dev_ccc_mean', 'train_s'):
            v = [r[arm][k] for r in per_seed if r[arm].get(k) is not None]
            if v: summ.setdefault(arm, {})[k] = dict(mean=float(np.mean(v)), std=float(np.std(v, ddof=1)) if len(v) > 1 else 0.0)
    kd_arms = [k for k in arms if k.startswith('kd_') or k in dict(extras)]
    external = [k for k in kd_arms if any(x.strip().startswith('unlabelled=') for x in dict(extras).get(k, []))]
    rule = 'dev_ccc_mean' if dev is not None else 'val_ccc_mean'
    too_slow = [k for k in kd_arms if k in a.too_slow]
    shipped = max([k for k in kd_arms if k not in external and k not in too_slow], key=lambda k: summ[k][rule]['mean'])
    def paired(arms, key, y, preds, groups_):
        "KD − no-KD of `key` per seed, with a t interval over seeds and a song bootstrap of the seed mean."
        w = bootstrap_weights(groups_, 2000, seed=0); out_ = {}
        for kd in arms:
            d = np.array([r[kd][key] - r['nokd'][key] for r in per_seed])
            t_ci = None
            if len(d) > 1:
                h = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)); t_ci = [float(d.mean() - h), float(d.mean() + h)]
            boot = np.mean([weighted_metrics(y, preds[s][kd], w)['ccc_mean'] - weighted_metrics(y, preds[s]['nokd'], w)['ccc_mean']
                            for s in a.seeds], 0)
            out_[kd] = dict(per_seed=d.tolist(), mean=float(d.mean()), std=float(d.std(ddof=1)) if len(d) > 1 else 0.0,
                            t_ci95=t_ci, bootstrap_ci95=percentile_ci(boot))
            for dim in ('valence', 'arousal'):                         # per dimension too (test only: dev keeps means)
                kk = key.replace('mean', dim)
                if all(kk in r[kd] for r in per_seed):
                    dd = np.array([r[kd][kk] - r['nokd'][kk] for r in per_seed])
                    h = stats.t.ppf(0.975, len(dd) - 1) * dd.std(ddof=1) / np.sqrt(len(dd)) if len(dd) > 1 else None
                    out_[kd][dim] = dict(mean=float(dd.mean()), t_ci95=None if h is None else [float(dd.mean() - h), float(dd.mean() + h)])
        return out_
    diffs = paired(kd_arms, 'test_ccc_mean', yte, test_preds, groups)
    dev_diffs = paired(kd_arms + ['teacher'], 'dev_ccc_mean', ydev, dev_preds, dev.clips.group.to_numpy()[dev.clip]) if dev is not None else None
    tm = summ['teacher']['test_ccc_mean']['mean']; nm = summ['nokd']['test_ccc_mean']['mean']
    res = dict(preset=a.preset, data=base.data, seeds=a.seeds, overrides=a.set, shipped_response=shipped, not_shippable=external, too_slow=too_slow,
               config={k: getattr(base, k) for k in ('teacher_arch', 'teacher_stem', 'teacher_epochs', 'teacher_lr',
                                                      'kd_epochs', 'lr', 'kd_alpha', 'kd_beta', 'kd_gamma',
                                                      'kd_temperature', 'kd_response', 'kd_corpus', 'n_clips', 'batch_size')},
               params=per_seed[0]['params'], per_seed=per_seed, summary=summ, kd_minus_nokd=diffs,
               teacher_minus_nokd=tm - nm, rule=rule, dev_minus_nokd=dev_diffs,
               dev=dict(songs=n_dev, windows=len(dev.X), data_seed=base.data_seed + 10_000) if dev is not None else None,
               retention_pct=100 * summ[shipped]['test_ccc_mean']['mean'] / tm if tm else None,
               test=dict(windows=len(yte), groups=len(np.unique(groups))),
               wall_s=round(time.perf_counter() - t_all, 1),
               machine=dict(python=platform.python_version(), torch=torch.__version__, cpu_count=os.cpu_count(),
                            threads=base.num_threads),
               extra_arms={n: sets for n, sets in extras}, control_arms={n: sets for n, sets in controls},
               command='.venv/bin/python benchmarks/kd_recipe.py --preset ' + a.preset + ' --seeds ' + ' '.join(map(str, a.seeds))
                       + (f' --data {a.data}' if a.data else '') + (' --set ' + ' '.join(a.set) if a.set else '')
                       + (' --extra ' + ' '.join(shlex.quote(e) for e in a.extra) if a.extra else '')
                       + (' --control ' + ' '.join(shlex.quote(e) for e in a.control) if a.control else '')
                       + (f' --dev {a.dev}' if a.dev is not None else '')
                       + (' --no-other' if a.no_other else '') + (' --harmony-student' if a.harmony_student else '')
                       + (' --too-slow ' + ' '.join(a.too_slow) if a.too_slow else '')
                       + (f' --name {a.name}' if a.name != 'kd_recipe' else ''),
               date=time.strftime('%Y-%m-%d'))
    dst = ROOT / 'benchmarks' / 'results'
    atomic_write_json(dst / f'{a.name}.json', res)
    atomic_write_text(dst / f'{a.name}.md', markdown(res))
    print(markdown(res))
    if not a.work: shutil.rmtree(work, ignore_errors=True)


LABELS = dict(teacher='teacher', kd_ccc='KD student, CCC response', kd_mse='KD student, MSE response',
              nokd='no-KD student (labels only)', ridge='ridge baseline',
              transcriber_student='transcriber + student (hears the harmony rows; no KD)',
              transcriber_student_kd='transcriber + student (hears the harmony rows; KD from the harmony teacher)')


def markdown(r: dict) -> str:
    c = r['config']; p = r['params']; n = len(r['seeds']); dev = r.get('dev')
    ctl = r.get('control_arms') or {}
    label = lambda arm: LABELS.get(arm) or (f"no-KD student, {', '.join(ctl[arm])} (control)" if arm in ctl else
                                            f"KD student, {', '.join((r.get('extra_arms') or {}).get(arm, [arm]))}")
    f = lambda s, k: f"{s[k]['mean']:.3f} ± {s[k]['std']:.3f}" if k in s else '–'
    ci = lambda v: '–' if not v else f'[{v[0]:+.3f}, {v[1]:+.3f}]'
    lines = [f"# Distillation recipe: `{r['preset']}` preset, data `{Path(r['data']).name if r['data'] != 'embedded' else 'embedded'}`, "
             f"{n} seed{'s' if n > 1 else ''}", '',
             f"Command: `{r['command']}` ({r['date']}; torch {r['machine']['torch']}, {r['machine']['cpu_count']} CPU cores, "
             f"{r['machine']['threads']} threads; {r['wall_s'] / 60:.0f} min in the last invocation, which reuses the seeds and arms "
             f"already in its --work folder: accuracy, not a timing). Test split: {r['test']['windows']} windows "
             f"of {r['test']['groups']} songs.", '',
             f"Teacher `{c['teacher_arch']}` with the `{c['teacher_stem']}` stem, {c['teacher_epochs']} epochs (lr {c['teacher_lr']}): "
             f"{p['teacher']:,} parameters, **{p['teacher'] / p['student']:.1f}×** the student's {p['student']:,}. "
             f"Students: {c['kd_epochs']} epochs, lr {c['lr']}; KD weights α={c['kd_alpha']}, β={c['kd_beta']}, "
             f"γ={c['kd_gamma']}, T={c['kd_temperature']}"
             + (f"; the preset's KD arm also learns from {c['kd_corpus']:,} teacher-labelled procedural corpus windows" if c.get('kd_corpus') else '')
             + '.', '',
             '| arm | test CCC valence | test CCC arousal | test CCC mean | val CCC mean (best epoch) |'
             + (f" dev CCC mean ({r['dev']['songs']} fresh songs) |" if dev else '') + ' training s |',
             '|---|---|---|---|---|' + ('---|' if dev else '') + '---|']
    for arm, s in r['summary'].items():
        lines.append(f"| {label(arm)}{' (shipped)' if arm == r['shipped_response'] else ''} | {f(s, 'test_ccc_valence')} | "
                     f"{f(s, 'test_ccc_arousal')} | {f(s, 'test_ccc_mean')} | {f(s, 'val_ccc_mean')} |"
                     + (f" {f(s, 'dev_ccc_mean')} |" if dev else '')
                     + (f" {s['train_s']['mean']:.0f} |" if 'train_s' in s else ' – |'))
    lines += ['', 'Mean ± std over seeds.' + (' Arms beyond the base comparison (same teachers, same '
              'rule): ' + ', '.join(label(k) for k in list(r['extra_arms']) + list(ctl)) + '.' if r.get('extra_arms') or ctl else ''), '', '**KD − no-KD, mean test CCC (paired by seed)**', '',
              '| KD arm | per seed | mean ± std | 95 % t interval over seeds | 95 % song bootstrap of the seed mean |',
              '|---|---|---|---|---|']
    for kd, d in r['kd_minus_nokd'].items():
        lines.append(f"| {label(kd)} | {', '.join(f'{v:+.3f}' for v in d['per_seed'])} | {d['mean']:+.3f} ± {d['std']:.3f} | "
                     f"{ci(d['t_ci95'])} | {ci(d['bootstrap_ci95'])} |")
    dims = [(kd, d) for kd, d in r['kd_minus_nokd'].items() if 'valence' in d]
    if dims:
        lines += ['', 'Per dimension (test, paired by seed): ' + '; '.join(
            f"{label(kd)}: valence {d['valence']['mean']:+.3f} {ci(d['valence']['t_ci95'])}, arousal {d['arousal']['mean']:+.3f} "
            f"{ci(d['arousal']['t_ci95'])}" for kd, d in dims) + '.']
    if dev:
        lines += ['', f"**KD − no-KD, mean dev CCC** ({dev['songs']} fresh songs, {dev['windows']} windows, data seed "
                      f"{dev['data_seed']}: the set the arm is chosen on; paired by seed)", '',
                  '| arm | per seed | mean ± std | 95 % t interval over seeds | 95 % song bootstrap of the seed mean |',
                  '|---|---|---|---|---|']
        for kd, d in r['dev_minus_nokd'].items():
            lines.append(f"| {label(kd)} | {', '.join(f'{v:+.3f}' for v in d['per_seed'])} | {d['mean']:+.3f} ± {d['std']:.3f} | "
                         f"{ci(d['t_ci95'])} | {ci(d['bootstrap_ci95'])} |")
    chosen = 'dev CCC' if r.get('rule') == 'dev_ccc_mean' else 'validation CCC'
    lines += ['', f"Teacher − no-KD student: {r['teacher_minus_nokd']:+.3f} mean test CCC. Retention of the shipped KD "
              f"student ({label(r['shipped_response'])}, chosen on {chosen}): {r['retention_pct']:.1f} % of the teacher's mean CCC."]
    for k in r.get('not_shippable') or []:
        lines += ['', f"Not a candidate for the preset: {label(k)} needs audio from outside the project (validation CCC "
                      f"{r['summary'][k]['val_ccc_mean']['mean']:.3f}); it is an option a user with such a folder can turn on."]
    for k in r.get('too_slow') or []:
        lines += ['', f"Not a candidate for the preset: {label(k)} would push `make run` over its time budget ({r['summary'][k]['train_s']['mean']:.0f} s "
                      f"of distillation against {r['summary'][r['shipped_response']]['train_s']['mean']:.0f} s for the shipped arm, plus "
                      f"synthesising its corpus); a user can turn it on."]
    lines += ['']
    return '\n'.join(lines)


if __name__ == '__main__':
    main()
