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



def _module_all() -> dict[str, list[str]]:
    "Each module's `__all__` (what `nbdev_export` made public), read from its source: no import."
    import ast, pkgutil
    from pathlib import Path
    out = {}
    for m in pkgutil.iter_modules(distilled_vit.__path__):
        if m.name.startswith('_'): continue
        tree = ast.parse(Path(distilled_vit.__path__[0], f'{m.name}.py').read_text())
        alls = [ast.literal_eval(s.value) for s in tree.body if isinstance(s, ast.Assign)
                and [getattr(t, 'id', None) for t in s.targets] == ['__all__']]
        assert len(alls) == 1, f'{m.name}: {len(alls)} __all__ assignments'
        out[m.name] = alls[0]
    return out


def test_small_public_face():
    """Issue 36: at most 143 public names in all (364 before); internals are `#| exporti` cells,
    importable by their module path."""
    alls = _module_all()
    assert {'core', 'cli', 'inference', 'scoring', 'student', 'rundir'} <= set(alls), sorted(alls)
    n = sum(len(v) for v in alls.values())
    per_module = ', '.join(f'{m} {len(v)}' for m, v in sorted(alls.items()))
    assert 0 < n <= 143, f'{n} public names: {per_module}'
    for name, mod in distilled_vit._PUBLIC.items():   # the package's exports: public in their module
        assert name in alls[mod], f'{name} is not in distilled_vit.{mod}.__all__'
    for name in ('RunDir', 'Config', 'MobileViTStudent', 'KnowledgeDistillationLoss', 'log_mel'):
        assert any(name in v for v in alls.values()), name
    from distilled_vit import rundir
    assert 'atomic_write_json' not in alls['rundir']           # internal, and still there
    assert callable(rundir.atomic_write_json)
