"""Conditional GAN (nbs/04_gan.ipynb): what the notebook cannot show well.

Interrupted training resumes exactly, collapse is caught inside the loop, the GAN never reads validation or test
windows, checkpoints are pickle-free, and a trained generator follows its labels. Smoke preset: seconds in total.
"""
import json

import numpy as np
import pandas as pd
import pytest
import torch

from distilled_vit.core import DistilledViTError, get_config
from distilled_vit.rundir import RunDir
from distilled_vit.train import CheckpointError, NonFiniteLossError, load_checkpoint
import distilled_vit.gan as gan


@pytest.fixture(scope='module')
def cfg():
    return get_config('smoke', device='cpu')


@pytest.fixture(scope='module')
def data(cfg, tmp_path_factory):
    import os
    from distilled_vit.data import load_dataset
    old = os.environ.get('DISTILLED_VIT_CACHE')
    os.environ['DISTILLED_VIT_CACHE'] = str(tmp_path_factory.mktemp('cache'))
    try: yield load_dataset(cfg, progress=False)
    finally:
        if old is None: os.environ.pop('DISTILLED_VIT_CACHE', None)
        else: os.environ['DISTILLED_VIT_CACHE'] = old


@pytest.fixture(scope='module')
def trained(cfg, data, tmp_path_factory):
    "A GAN trained the ordinary way (smoke: 2 epochs), and its folder."
    out = tmp_path_factory.mktemp('gan')
    return gan.train_gan(cfg, None, data, progress=False, out_dir=out), out


class TrainOnly:
    "The dataset with its validation and test splits locked away."
    def __init__(self, d): self.d, self.info = d, d.info
    def arrays(self, split):
        if split != 'train': raise AssertionError(f'the GAN read the {split} split')
        return self.d.arrays(split)


def _same_weights(a, b, eps=1e-5):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa: torch.testing.assert_close(sa[k], sb[k], atol=eps, rtol=0, msg=k)


def test_trains_on_the_training_split_only(cfg, data, tmp_path):
    G = gan.train_gan(cfg, None, TrainOnly(data), progress=False, out_dir=tmp_path)
    X, y = gan.generate_synthetic(G, cfg, TrainOnly(data), 8, seed=0)
    assert X.shape == (8, cfg.n_mels, cfg.win_frames)


def test_same_seed_same_generator(cfg, data, trained, tmp_path):
    _same_weights(gan.train_gan(cfg, None, data, progress=False, out_dir=tmp_path), trained[0])


def test_interrupted_mid_epoch_resumes_to_the_same_weights(cfg, data, trained, tmp_path, monkeypatch):
    calls = {'n': 0}
    real_step = torch.optim.Adam.step
    def crashing_step(self, *a, **k):             # crash in the 2nd batch of epoch 2 (2 batches/epoch, 2 steps/batch)
        calls['n'] += 1
        if calls['n'] > 6: raise KeyboardInterrupt
        return real_step(self, *a, **k)
    monkeypatch.setattr(torch.optim.Adam, 'step', crashing_step)
    with pytest.raises(KeyboardInterrupt): gan.train_gan(cfg, None, data, progress=False, out_dir=tmp_path)
    monkeypatch.setattr(torch.optim.Adam, 'step', real_step)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['checkpoint.pt']        # one checkpoint file, no temp files
    assert load_checkpoint(tmp_path / 'checkpoint.pt')['epoch'] == 0                           # epoch 1 saved
    G = gan.train_gan(cfg, None, data, progress=False, out_dir=tmp_path)
    _same_weights(G, trained[0])
    assert len(pd.read_csv(tmp_path / 'history.csv')) == cfg.gan_epochs


def test_checkpoint_is_pickle_free_and_inconsistent_ones_are_refused(cfg, data, trained, tmp_path):
    st = torch.load(trained[1] / 'checkpoint.pt', weights_only=True)   # plain tensors and data only
    assert st['epoch'] == cfg.gan_epochs - 1 and {'G', 'D', 'optG', 'optD', 'history', 'key'} <= set(st)
    (tmp_path / 'checkpoint.pt').write_bytes(b'not a checkpoint')          # damaged: one line naming the file
    with pytest.raises(CheckpointError, match='checkpoint.pt: refused to load checkpoint'):
        gan.train_gan(cfg, None, data, progress=False, out_dir=tmp_path)
    st['D'].pop(next(iter(st['D'])))                                       # a network of another version
    torch.save(st, tmp_path / 'checkpoint.pt')
    with pytest.raises(CheckpointError, match='does not fit'):
        gan.train_gan(cfg, None, data, progress=False, out_dir=tmp_path)
    with pytest.raises(CheckpointError, match='more than the 1 asked'):
        gan.train_gan(get_config('smoke', device='cpu', gan_epochs=1), None, data, progress=False, out_dir=trained[1])
    with pytest.raises(CheckpointError, match='other settings'):
        gan.train_gan(get_config('smoke', device='cpu', gan_width=16), None, data, progress=False, out_dir=trained[1])
    (tmp_path / 'bad.safetensors').write_bytes(b'not weights')
    with pytest.raises(CheckpointError, match='does not fit'):
        gan.load_generator(tmp_path / 'bad.safetensors', cfg)


def test_collapse_is_caught_in_training(cfg, data, tmp_path, monkeypatch):
    real_forward = gan.Generator.forward
    def constant(self, z, y):                      # a generator that ignores noise and label
        return real_forward(self, z, y) * 0 + 0.5
    monkeypatch.setattr(gan.Generator, 'forward', constant)
    with pytest.raises(gan.GANCollapseError, match='GAN collapsed at epoch 1') as e:
        gan.train_gan(cfg, None, data, progress=False, out_dir=tmp_path)
    assert isinstance(e.value, DistilledViTError) and 'gan_lr' in str(e.value)
    assert not (tmp_path / 'checkpoint.pt').exists()                  # the collapsed epoch is not checkpointed


def test_non_finite_generator_loss_names_epoch_and_batch(cfg, data, tmp_path, monkeypatch):
    real_forward = gan.Generator.forward
    monkeypatch.setattr(gan.Generator, 'forward', lambda self, z, y: real_forward(self, z, y) * float('inf'))
    with pytest.raises(NonFiniteLossError, match='non-finite discriminator loss at epoch 1, batch 1'):
        gan.train_gan(cfg, None, data, progress=False, out_dir=tmp_path)


def test_trained_generator_follows_its_labels(cfg, data, trained):
    G = trained[0]
    y_lo, y_hi = np.tile([[-0.8, -0.8]], (16, 1)), np.tile([[0.8, 0.8]], (16, 1))
    a, b = gan.generate_at(G, y_lo, seed=3), gan.generate_at(G, y_hi, seed=3)
    assert np.abs(a - b).mean() > 1e-3                             # conditioning changes the output
    assert np.abs(a - gan.generate_at(G, y_lo, seed=4)).mean() > 1e-3   # and so does the noise
    X1, y1 = gan.generate_synthetic(G, cfg, data, 16, seed=5)
    X2, y2 = gan.generate_synthetic(G, cfg, data, 16, seed=5)
    np.testing.assert_array_equal(X1, X2); np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(gan.generate_synthetic(G, cfg, data, 16, seed=6)[1], y1)


def test_sample_labels_stay_in_range_and_keep_marginals():
    rng = np.random.default_rng(0)
    y = np.clip(rng.normal([0.6, -0.2], [0.3, 0.5], (3000, 2)), -1, 1)   # mass near the +1 edge
    s = gan.sample_labels(y, 20000, np.random.default_rng(1))
    assert s.min() >= -1 and s.max() <= 1
    np.testing.assert_allclose(s.mean(0), y.mean(0), atol=0.02)
    np.testing.assert_allclose(s.std(0), y.std(0), atol=0.03)
    with pytest.raises(gan.GANError, match='at least 2'): gan.sample_labels(y[:1], 5, rng)


def test_frechet_distance_properties():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(300, 8)), rng.normal(1, 2, size=(200, 8))
    assert gan.frechet_distance(a, a) == pytest.approx(0, abs=1e-8)
    assert gan.frechet_distance(a, b) == pytest.approx(gan.frechet_distance(b[::-1], a[::-1]), rel=1e-6)
    assert gan.frechet_distance(a, b) > gan.frechet_distance(a, rng.normal(size=(200, 8)))
    # rank-deficient covariances (fewer samples than dimensions), as with small test halves
    assert gan.frechet_distance(a[:5], a[:5]) == pytest.approx(0, abs=1e-8)


def test_shapes_of_every_preset():
    for preset in ('smoke', 'cpu', 'paper'):
        c = get_config(preset)
        G, D = gan.create_gan(c)
        G.eval()
        x = G(torch.randn(2, c.gan_z_dim), torch.zeros(2, 2))
        assert x.shape == (2, 1, c.n_mels, c.win_frames) and D(x, torch.zeros(2, 2)).shape == (2,)


def test_stage_off_does_nothing_and_on_writes_metrics(cfg, data, tmp_path):
    run = RunDir(tmp_path / 'off', cfg)
    assert gan.gan_stage(cfg, run, data, progress=False) is None
    assert not (run.path / 'gan').exists()
    c = get_config('smoke', device='cpu', gan=True, n_synthetic=24)
    run = RunDir(tmp_path / 'on', c)
    X, y = gan.gan_stage(c, run, data, progress=False)
    assert X.shape == (24, c.n_mels, c.win_frames) and y.shape == (24, 2) and np.isfinite(X).all()
    m = json.loads((run.path / 'gan' / 'metrics.json').read_text())
    assert m['n_synthetic'] == 24 and m['frechet']['synthetic_vs_real'] >= 0
    for k in ('label_fidelity', 'reference_real_test', 'tstr_real_test'):
        assert -1 <= m[k]['ccc_mean'] <= 1


class _ReadableLabels:
    "Training windows whose labels can be read off exactly: arousal = overall level, valence = high-minus-low band contrast."
    def __init__(self, cfg, n=256, seed=0):
        rng = np.random.default_rng(seed)
        self.info = dict(cache_key=f'readable-{n}-{seed}')
        self.y = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
        ramp = np.linspace(-1, 1, cfg.n_mels, dtype=np.float32)[None, :, None]
        self.X = (self.y[:, 1, None, None] + self.y[:, 0, None, None] * ramp
                  + 0.3 * rng.normal(size=(n, cfg.n_mels, cfg.win_frames))).astype(np.float32)

    def arrays(self, split): return self.X, self.y


def _readout(X):
    "The exact inverse of `_ReadableLabels`: (band contrast, mean level) of windows [n, n_mels, T]."
    h = X.shape[1] // 2
    return np.stack([X[:, h:].mean((1, 2)) - X[:, :h].mean((1, 2)), X.mean((1, 2))], 1)


def test_trained_generator_carries_its_labels(tmp_path):
    """Label fidelity: windows generated at labels y, read back with the exact readout of the training data, correlate
    with y once the GAN is trained (measured: r ≈ 0.9 on both dimensions after 20 epochs) and not before (r ≈ 0)."""
    c = get_config('smoke', device='cpu', gan_epochs=20, gan_lr=1e-3)
    y = np.random.default_rng(5).uniform(-1, 1, (256, 2)).astype(np.float32)
    def fidelity(G):
        r = _readout(gan.generate_at(G, y, seed=1))
        return [float(np.corrcoef(r[:, i], y[:, i])[0, 1]) for i in range(2)]
    torch.manual_seed(0)
    untrained, _ = gan.create_gan(c)
    before = fidelity(untrained.eval())
    after = fidelity(gan.train_gan(c, None, _ReadableLabels(c), progress=False, out_dir=tmp_path))
    assert max(abs(r) for r in before) < 0.3, before
    assert min(after) > 0.7, after


def test_resume_key_changes_exactly_when_what_the_gan_learns_does(tmp_path, monkeypatch):
    """Generated over every Config field, against behaviour: the checkpoint key changes exactly when one epoch of
    training gives another generator. By design the key leaves out `gan_epochs` (a run resumes to more epochs) and
    `num_threads` (another thread count sums floats in another order, the same training); the GAN refuses some
    shapes (it needs n_mels and win_frames divisible by 4), so those values cannot be compared.
    Training is compared where the generator can change: a field that `train_gan` reads (every attribute read of its
    config is recorded, in the functions it calls too) or one that changes the training windows or labels. Any other
    field leaves every value the training reads as it was (a field read nowhere cannot steer which fields are read),
    so its generator is the base one without training it again (~5 s each), and its key must be the base key."""
    import dataclasses
    from distilled_vit.core import Config
    from distilled_vit.data import load_dataset
    monkeypatch.setenv('DISTILLED_VIT_CACHE', str(tmp_path / 'cache'))
    base, reads, recording = get_config('smoke', device='cpu', gan_epochs=1, workers=1), set(), [False]
    class Recorded(Config):
        "The config, noting every attribute the training reads."
        def __getattribute__(self, k):
            if recording[0]: reads.add(k)
            return object.__getattribute__(self, k)
    def trained(c, name, d):
        Xtr, ytr = (torch.as_tensor(a, dtype=torch.float32) for a in d.arrays('train'))
        try: G = gan.train_gan(c, None, TrainOnly(d), progress=False, out_dir=tmp_path / name)
        except gan.GANError as e: return type(e).__name__
        return torch.cat([p.detach().flatten() for p in G.state_dict().values() if p.dtype.is_floating_point])
    d0 = load_dataset(base, progress=False); X0, y0 = d0.arrays('train')
    rec = Recorded(**dataclasses.asdict(base)); recording[0] = True
    try: w0 = trained(rec, 'base', d0)
    finally: recording[0] = False
    k0 = gan._gan_key(base, *(torch.as_tensor(a, dtype=torch.float32) for a in (X0, y0)))
    assert {'gan_lr', 'gan_vicinity', 'seed', 'n_mels'} <= reads and 'kd_alpha' not in reads, sorted(reads)
    # fields only: a copy, pickle or __dict__ of the config would read fields unseen (then train for every field)
    assert reads <= set(Config.__dataclass_fields__), sorted(reads - set(Config.__dataclass_fields__))
    refused, compared = [], []
    for f, fd in Config.__dataclass_fields__.items():
        if f in ('data', 'unlabelled', 'teacher_weights', 'gan_epochs', 'num_threads'): continue   # paths; by design (above)
        v, m = getattr(base, f), fd.metadata
        o = (next(c for c in m['choices'] if c != v) if m.get('choices') else (not v) if isinstance(v, bool) else
             v + 1 if isinstance(v, int) else v * 0.5 + 0.01 if isinstance(v, float) else v + 'x')
        c = dataclasses.replace(base, **{f: o})
        try: d = load_dataset(c, progress=False)
        except DistilledViTError: refused.append(f); continue
        X, y = d.arrays('train')
        k = gan._gan_key(c, *(torch.as_tensor(a, dtype=torch.float32) for a in (X, y)))
        if f not in reads and X.shape == X0.shape and np.array_equal(X, X0) and np.array_equal(y, y0):
            assert k == k0, (f, 'key changed', 'same generator: train_gan reads nothing that differs'); continue
        w = trained(c, f, d); compared.append(f)
        if isinstance(w, str): refused.append(f); continue
        same = w.shape == w0.shape and torch.equal(w, w0)
        assert (k != k0) == (not same), (f, 'key changed' if k != k0 else 'key same', 'same generator' if same else 'another generator')
    assert sorted(refused) == ['n_mels', 'win_frames'], refused
    assert {'gan_lr', 'gan_vicinity', 'gan_width', 'seed', 'n_clips', 'data_seed', 'hop_length'} <= set(compared), compared
