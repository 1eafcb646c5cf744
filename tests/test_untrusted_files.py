"""Untrusted files: no code path unpickles arbitrary objects; corrupt checkpoints are one clear error."""
import os
import pytest
import torch
from distilled_vit.train import load_checkpoint, CheckpointError

class _Evil:
    def __reduce__(self): return (os.system, ('touch /tmp/distilled_vit_pwned',))

def test_pickle_that_would_run_code_is_refused(tmp_path):
    p = tmp_path / 'checkpoint.pt'
    torch.save({'model': {}, 'payload': _Evil()}, p)
    if os.path.exists('/tmp/distilled_vit_pwned'): os.unlink('/tmp/distilled_vit_pwned')
    with pytest.raises(CheckpointError, match='refused to load checkpoint'): load_checkpoint(p)
    assert not os.path.exists('/tmp/distilled_vit_pwned')

def test_corrupt_checkpoint_is_one_clear_error(tmp_path):
    p = tmp_path / 'checkpoint.pt'; p.write_bytes(b'garbage' * 10)
    with pytest.raises(CheckpointError, match='checkpoint.pt: refused to load checkpoint'): load_checkpoint(p)
