"""The test split never reaches training: two runs whose data differ only in the test clips (their labels and their
audio) train bit-identical models, from the GAN and the teacher to both students (with the mixup and corpus transfer
sets on), while the test scores move."""
import json, shutil
import numpy as np
import pandas as pd
from conftest import cli_here, write_tone
from test_run_safety import _manifest


def _weights(run):
    "Every tensor the run trained or fitted (the header's metadata names the data's key, which differs by design)."
    from safetensors.numpy import load_file
    return {f"{p.relative_to(run).as_posix()}:{n}": t for p in sorted(run.rglob('*.safetensors'))
            if p.relative_to(run).parts[0] not in ('export', 'evaluate') for n, t in load_file(str(p)).items()}


def test_the_test_split_never_reaches_training(tmp_path):
    from distilled_vit.core import get_config
    from distilled_vit.data import load_dataset
    m = _manifest(tmp_path / 'a')
    shutil.copytree(tmp_path / 'a', tmp_path / 'b'); m2 = tmp_path / 'b' / 'manifest.csv'
    split = load_dataset(get_config('smoke', data=str(m)), progress=False, use_cache=False).clips.split.to_numpy()
    assert (split == 'test').sum() >= 2
    df = pd.read_csv(m2); test = split == 'test'
    df.loc[test, ['valence', 'arousal']] = -df.loc[test, ['valence', 'arousal']].to_numpy()   # other labels ...
    df.to_csv(m2, index=False)
    for p in df.path[test]: write_tone(tmp_path / 'b' / p, seconds=2.0, freq=2500)            # ... and other audio
    runs = []
    for man, name in ((m, 'run_a'), (m2, 'run_b')):
        r = cli_here('evaluate', '--preset', 'smoke', '--data', str(man), '--out', str(tmp_path / name),
                     '--set', 'gan=true', 'kd_transfer=0.5', 'kd_corpus=8')     # every transfer set on
        assert r.returncode == 0, r.stderr[-2000:]
        runs.append(tmp_path / name)
    b = load_dataset(get_config('smoke', data=str(m2)), progress=False, use_cache=False).clips.split.to_numpy()
    assert (b == split).all()                                                  # the same split
    wa, wb = _weights(runs[0]), _weights(runs[1])
    files = {k.split(':')[0] for k in wa}
    assert {'teacher/model.safetensors', 'student/model.safetensors', 'student_nokd/model.safetensors', 'data/norm.safetensors',
            'gan/generator.safetensors'} <= files, sorted(files)
    assert wa.keys() == wb.keys() and all(np.array_equal(wa[k], wb[k]) for k in wa), [k for k in wa if not np.array_equal(wa[k], wb[k])]
    ea, eb = (json.loads((r / 'evaluate' / 'evaluation.json').read_text()) for r in runs)
    assert ea['student']['ccc_valence'] != eb['student']['ccc_valence']         # the test data did change what is scored
