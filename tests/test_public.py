"""The package's public face: the handful of names `distilled_vit/__init__.py` exports, loaded on first use."""
import subprocess, sys
import distilled_vit


def test_public_names_are_the_modules_functions():
    from distilled_vit import core, cli, inference, scoring
    want = dict(get_config=core.get_config, run_pipeline=cli.run_pipeline, predict=inference.predict,
                predict_files=inference.predict_files, load_predictor=inference.load_predictor, score=scoring.score)
    assert sorted(distilled_vit.__all__) == sorted(want)
    for name, f in want.items(): assert getattr(distilled_vit, name) is f, name
    assert set(want) <= set(dir(distilled_vit))
    try: distilled_vit.RunDir
    except AttributeError as e: assert 'RunDir' in str(e)
    else: raise AssertionError('an internal name is reachable from the package itself')


def test_import_and_predict_need_no_torch():
    "Importing the package, and reaching predict and score through it, imports neither torch nor librosa."
    code = ("import sys, distilled_vit as d; d.predict; d.score; d.load_predictor; "
            "print(sorted(m for m in ('torch', 'librosa', 'timm') if m in sys.modules))")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == '[]', r.stdout
