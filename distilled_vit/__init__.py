__version__ = "0.1.0"

# The public face: what a user needs, imported on first use (so `import distilled_vit`, `predict` and `score` need
# neither torch nor librosa). Everything else lives in the modules, one per notebook (nbs/).
_PUBLIC = {'get_config': 'core', 'run_pipeline': 'cli', 'predict': 'inference', 'predict_files': 'inference',
           'load_predictor': 'inference', 'score': 'scoring'}
__all__ = list(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        import importlib
        return getattr(importlib.import_module(f'{__name__}.{_PUBLIC[name]}'), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
