"""Mutation check: would the tests catch plausible one-line bugs?

For each mutation below (a swapped weight, a dropped term, a reversed divergence, an off-by-one window, a flipped
sign, ...) the package is copied to a temporary folder, the one line is changed in both the notebook (the source of
truth, whose cells the notebook tests execute) and the exported module, and the notebooks and pytest files that guard
that code are run against the copy. A mutation is *caught* when at least one of them fails. Run on demand (minutes),
not in CI:

    .venv/bin/python tools/mutation_check.py            # all mutations -> benchmarks/results/mutation_check.md
    .venv/bin/python tools/mutation_check.py --only kd_alpha_swapped ccc_no_shift
"""
import argparse, json, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (name, module, original text, mutated text, notebooks to run, pytest files to run)
MUTATIONS = [
    # --- the distillation loss (07_distill)
    ('kd_alpha_swapped', 'distill', "        return (\n            self.alpha * F.mse_loss(s, y)\n            + (1 - self.alpha) * F.mse_loss(s / self.T, t / self.T) * self.T**2\n        )",
     "        return (1 - self.alpha) * F.mse_loss(s, y) + self.alpha * F.mse_loss(\n            s / self.T, t / self.T\n        ) * self.T**2", ['07_distill'], []),
    ('kd_temperature_factor_dropped', 'distill', "        return (\n            self.alpha * F.mse_loss(s, y)\n            + (1 - self.alpha) * F.mse_loss(s / self.T, t / self.T) * self.T**2\n        )",
     "        return self.alpha * F.mse_loss(s, y) + (1 - self.alpha) * F.mse_loss(s / self.T, t / self.T)", ['07_distill'], []),
    ('kd_ccc_response_swapped', 'distill', "self.alpha * ccc_loss(s, y) + (1 - self.alpha) * ccc_loss(s, t)",
     "self.alpha * ccc_loss(s, t) + (1 - self.alpha) * ccc_loss(s, y)", ['07_distill'], []),
    ('ccc_loss_sign_flipped', 'distill', "        1 - 2 * cov / (p.var(0, unbiased=False) + t.var(0, unbiased=False) + (mp - mt) ** 2 + 1e-8)", "        1 + 2 * cov / (p.var(0, unbiased=False) + t.var(0, unbiased=False) + (mp - mt) ** 2 + 1e-8)", ['07_distill'], []),
    ('kd_projection_skipped', 'distill', "            hs = proj(hs)\n", "            hs = hs\n", ['07_distill'], []),
    ('kd_feature_summed_not_averaged', 'distill', "return out / max(1, len(s_hidden))", "return out", ['07_distill'], []),
    ('kd_attention_kl_reversed', 'distill', "(a_t * (torch.log(a_t + 1e-8) - torch.log(a_s + 1e-8)))",
     "(a_s * (torch.log(a_s + 1e-8) - torch.log(a_t + 1e-8)))", ['07_distill'], []),
    ('kd_attention_first_head_only', 'distill', "a_s = a_s.mean(1) if a_s.ndim == 4 else a_s",
     "a_s = a_s[:, 0] if a_s.ndim == 4 else a_s", ['07_distill'], []),
    ('kd_attention_cls_not_renormalised', 'distill',
     "                a_s, a_t = (\n                    (cs / cs.sum(-1, keepdim=True)).unsqueeze(1),\n                    (ct / ct.sum(-1, keepdim=True)).unsqueeze(1),\n                )",
     "                a_s, a_t = cs.unsqueeze(1), ct.unsqueeze(1)", ['07_distill'], []),
    ('kd_attention_summed_not_averaged', 'distill', "return out / max(1, len(s_attn))", "return out", ['07_distill'], []),
    ('kd_beta_gamma_swapped', 'distill', "parts['response'] + self.beta * parts['feature'] + self.gamma * parts['attention']",
     "parts['response'] + self.gamma * parts['feature'] + self.beta * parts['attention']", ['07_distill'], []),
    ('kd_attention_term_dropped', 'distill', "self.beta * parts['feature'] + self.gamma * parts['attention']\n",
     "self.beta * parts['feature']\n", ['07_distill'], []),
    # --- the transfer set (07_distill) and the procedural corpus / pretraining (04a_pretrain)
    ('kd_corpus_not_normalised', 'distill',
     "_with_embedding(data.teacher_input(Xc[i]), Ec[i] if tmus else None, tmus)",
     "_with_embedding(Xc[i].astype(np.float32), Ec[i] if tmus else None, tmus)",
     ['07_distill'], []),
    ('kd_transfer_labels_zero', 'distill', "ytr[new] = targets.rows(ts.ids[new], ['pred'])['pred'].numpy()",
     "ytr[new] = 0 * targets.rows(ts.ids[new], ['pred'])['pred'].numpy()", ['07_distill'], []),
    ('corpus_seed_ignored', 'pretrain', "rng = np.random.default_rng([seed, 90210])", "rng = np.random.default_rng([0, 90210])",
     ['04a_pretrain'], []),
    ('pretrain_head_kept', 'pretrain', "    sd = {\n        n: t.detach().cpu().contiguous()\n        for n, t in model.state_dict().items()\n        if not n.startswith('head.')\n    }", "    sd = {n: t.detach().cpu().contiguous() for n, t in model.state_dict().items()}", ['04a_pretrain'], []),
    ('masked_patches_visible_to_the_stem', 'pretrain', "t = model.patch_embed(x.masked_fill(hide, 0.0))",
     "t = model.patch_embed(x)", ['04a_pretrain'], []),
    ('pretrain_mode_target_dropped', 'pretrain', "return np.array(z + [1.0 if p['major'] else -1.0], np.float32)",
     "return np.array(z + [0.0], np.float32)", ['04a_pretrain'], []),
    ('pretrain_resume_optimizer_not_restored', 'pretrain',
     "model.load_state_dict(st['model']); learn.restore(st)\n        torch.set_rng_state",
     "model.load_state_dict(st['model'])\n        torch.set_rng_state", ['04a_pretrain'], []),
    ('pretrain_checkpoint_left_in_cache', 'pretrain', "    ck.unlink(missing_ok=True)\n    return path", "    return path",
     ['04a_pretrain'], []),
    # --- predictions on the labels' scale (09a_predict)
    ('predict_label_range_not_clipped', 'inference', "return lo + (np.clip(va, -1.0, 1.0) + 1.0) / 2.0 * (hi - lo)",
     "return lo + (va + 1.0) / 2.0 * (hi - lo)", ['09a_predict'], []),
    ('predict_label_range_halved', 'inference', "return lo + (np.clip(va, -1.0, 1.0) + 1.0) / 2.0 * (hi - lo)",
     "return lo + (np.clip(va, -1.0, 1.0) + 1.0) * (hi - lo)", ['09a_predict'], []),
    # --- metrics (00a_metrics, 08_evaluate)
    ('ccc_no_shift', 'metrics', "den = vt + vp + (mt - mp) ** 2", "den = vt + vp", ['00a_metrics', '08_evaluate'], []),
    ('ccc_factor_two_dropped', 'metrics', "return float(2 * cov / den)", "return float(cov / den)", ['00a_metrics', '08_evaluate'], []),
    ('mae_squared', 'metrics', "        np.mean(np.abs(np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)))", "        np.mean(\n            np.square(np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64))\n        )",
     ['00a_metrics', '08_evaluate'], []),
    ('weighted_ccc_no_shift', 'metrics', "den, sd = vt + vq + (mt - mq) ** 2, np.sqrt(vt * vq)", "den, sd = vt + vq, np.sqrt(vt * vq)",
     ['00a_metrics'], []),
    # --- windowing (01_audio)
    ('windows_end_not_covered', 'audio', "if starts[-1] != n_frames - win: starts.append(n_frames - win)", "pass", ['01_audio'], []),
    ('windows_last_off_by_one', 'audio', "if starts[-1] != n_frames - win: starts.append(n_frames - win)",
     "if starts[-1] != n_frames - win: starts.append(n_frames - win - 1)", ['01_audio'], []),
    # (range(0, T - win, hop) for range(0, T - win + 1, hop) is an equivalent mutant: the end-aligned window restores it)
    ('windows_cap_takes_first', 'audio', "        starts = [\n            starts[i] for i in np.linspace(0, len(starts) - 1, max_windows).round().astype(int)\n        ]",
     "        starts = starts[:max_windows]", ['01_audio'], []),
    ('windows_cap_drops_last', 'audio', "np.linspace(0, len(starts) - 1, max_windows)", "np.linspace(0, len(starts) - 2, max_windows)",
     ['01_audio'], []),
    # --- normalisation (01_audio, 02_data)
    ('norm_multiplies_by_std', 'audio', "return ((x - self.mean[:, None]) / self.std[:, None]).astype(np.float32)",
     "return ((x - self.mean[:, None]) * self.std[:, None]).astype(np.float32)", ['01_audio'], []),
    ('norm_fitted_on_all_splits', 'data', "data.norm = Normalizer.fit(rows(X))", "data.norm = Normalizer.fit(X)",
     ['02_data'], []),
    # --- the bootstrap (08_evaluate)
    ('bootstrap_level_not_halved', 'metrics', "a = 100 * (1 - level) / 2", "a = 100 * (1 - level)", ['00a_metrics'], []),
    ('bootstrap_windows_not_songs', 'metrics', "w = counts[:, inv].astype(np.float64)",
     "w = np.random.default_rng(seed).multinomial(len(inv), np.full(len(inv), 1 / len(inv)), size=max(1, n)).astype(np.float64)",
     ['00a_metrics'], []),
    ('kd_gain_ci_reversed', 'evaluate', "        k: percentile_ci(a_samples[k] - b_samples[k])",
     "        k: percentile_ci(b_samples[k] - a_samples[k])", ['08_evaluate'], []),
    ('retention_ci_inverted', 'evaluate', "ratio = lambda a, b: 100 * a / np.where(b == 0, np.nan, b)",
     "ratio = lambda a, b: 100 * b / np.where(a == 0, np.nan, a)", ['08_evaluate'], []),
    # --- the audio-in student (01_audio, 01a_wave, 09_export, 09a_predict, browser demo)
    ('wave_no_hann_window', 'wave', "np.concatenate([np.cos(ang) * hann, -np.sin(ang) * hann])",
     "np.concatenate([np.cos(ang), -np.sin(ang)])", ['01a_wave'], []),
    ('wave_db_floor_changed', 'wave', "torch.clamp(torch.matmul(self.mel, power), min=1e-10)",
     "torch.clamp(torch.matmul(self.mel, power), min=1e-8)", ['01a_wave'], []),
    ('wave_segments_not_padded', 'audio', "            np.zeros(fe.n_fft // 2, np.float32),",
     "            np.zeros(0, np.float32),", ['01_audio'], []),
    ('predict_int8_batched', 'inference', "if pred.one_per_call: batch_size = 1", "pass", [], ['tests/test_browser.py']),
    # --- the shared machinery (00b_rundir, 00c_parallel, 03_train, 04_gan): batched inference, JSON, the epoch loop and its checkpoints
    ('batched_last_partial_slice_dropped', 'parallel', "steps = range(0, n, batch_size)", "steps = range(0, n - batch_size + 1, batch_size)",
     ['00c_parallel'], []),
    ('json_ready_keeps_nan', 'rundir', "return float(o) if math.isfinite(o) else None", "return float(o)", ['00b_rundir'], []),
    ('epoch_loop_resume_repeats_an_epoch', 'train', "restore(st); hist, start = list(st['history']), st['epoch'] + 1",
     "restore(st); hist, start = list(st['history']), st['epoch']", ['03_train'], []),
    ('epoch_loop_key_unchecked', 'train', "if st.get('key') != key:", "if False:", ['04_gan'], []),
    ('gan_resume_without_optimisers', 'gan', "            optG.load_state_dict(st['optG'])\n            optD.load_state_dict(st['optD'])\n        except (RuntimeError, ValueError, KeyError) as e:", "        except (RuntimeError, ValueError, KeyError) as e:",
     [], ['tests/test_gan.py']),
    ('int8_full_weight_range', 'export', "            reduce_range=True,", "            reduce_range=False,",
     [], ['tests/test_browser.py']),
    # --- the user's unlabelled audio as transfer set (00b_rundir, 02_data, 07_distill)
    ('unlabelled_heldout_kept', 'data', "keep = ~np.isin(owner, excluded)", "keep = np.ones(len(owner), bool)", ['02_data'], []),
    ('unlabelled_not_normalised', 'distill', "_with_embedding(data.teacher_input(U[i]), EU[i] if tmus else None, tmus)",
     "_with_embedding(U[i].astype(np.float32), EU[i] if tmus else None, tmus)", ['07_distill'], []),
    ('unlabelled_not_fingerprinted', 'rundir', "CONTENT_FIELDS = {'unlabelled': folder_signature, ", "CONTENT_FIELDS = {", ['00b_rundir'], []),
    # --- torchrun (03_train, 05_teacher, 07_distill)
    ('syncbn_biased_running_var', 'train', "self.running_var.mul_(1 - m).add_(m * var * n / (n - 1))",
     "self.running_var.mul_(1 - m).add_(m * var)", [], ['tests/test_torchrun.py']),
    ('target_shards_misplaced', 'distill', "        block[r::world] = part[: len(range(r, len(block), world))].cpu().numpy()",
     "        o, m = sum(len(range(q, len(block), world)) for q in range(r)), len(range(r, len(block), world))\n"
     "        block[o : o + m] = part[:m].cpu().numpy()", [], ['tests/test_torchrun.py']),
    ('every_rank_writes_metrics', 'teacher', "if is_main_process(): atomic_write_json(out / 'metrics.json', m)",
     "atomic_write_json(out / 'metrics.json', m)", [], ['tests/test_torchrun.py']),
    # --- work spread over processes (00c_parallel parallel_map and its users)
    ('file_job_swallows_errors', 'data', "        if not cfg.skip_bad: raise\n        return str(e)\n",
     "        return str(e)\n", [], ['tests/test_bad_input.py']),
    ('parallel_results_out_of_order', 'parallel', "for r in ex.map(fn, items, chunksize=chunksize): yield r; bar.update()",
     "for r in reversed(list(ex.map(fn, items, chunksize=chunksize))): yield r; bar.update()", ['02_data'], []),
    ('pte_worker_leaves_one_thread', 'export', "with torch_threads(1): return export_pte(model, example, path, quantize=quantize)",
     "torch.set_num_threads(1); return export_pte(model, example, path, quantize=quantize)", [], ['tests/test_mobile.py']),
    ('parallel_serial_many_blas_threads', 'parallel', "                with threadpool_limits(1): r = fn(x)\n",
     "                r = fn(x)\n", ['02_data'], []),
    # --- harmony, the teacher's privileged input (01b_harmony, 02_data, 07_distill), and log-frequency bands (01_audio)
    ('harmony_pitch_classes_off_by_one', 'harmony', "FOLD[np.arange(88), (np.arange(88) + 21) % 12] = 1",
     "FOLD[np.arange(88), (np.arange(88) + 20) % 12] = 1", ['01b_harmony'], []),
    ('harmony_rolled_the_wrong_way', 'harmony', "np.roll(pc, -tonic, 1).T", "np.roll(pc, tonic, 1).T", ['01b_harmony'], []),
    ('harmony_mode_row_sign_flipped', 'harmony', "np.stack([one * (ma - mi), one * ma", "np.stack([one * (mi - ma), one * ma",
     ['01b_harmony'], []),
    ('harmony_minor_key_ignored', 'harmony', "return (km if maj[km] >= mnr[kn] else kn), float(maj[km]), float(mnr[kn])",
     "return km, float(maj[km]), float(mnr[kn])", ['01b_harmony'], []),
    ('harmony_windows_shifted', 'harmony', "seg = H[:, s:s + win]", "seg = H[:, s + 1:s + 1 + win]", ['01b_harmony', '02_data'], []),
    ('harmony_hash_unchecked', 'harmony', "    if h != NMP_SHA256:", "    if False:", ['01b_harmony'], []),
    ('teacher_input_harmony_unnormalised', 'data', "return np.concatenate([Xn, self.hnorm(np.asarray(H, np.float32))], 1)",
     "return np.concatenate([Xn, np.asarray(H, np.float32)], 1)", ['02_data'], []),
    ('teacher_input_rows_swapped', 'data', "return np.concatenate([Xn, self.hnorm(np.asarray(H, np.float32))], 1)",
     "return np.concatenate([self.hnorm(np.asarray(H, np.float32)), Xn], 1)", ['02_data'], []),
    ('harmony_cache_key_ignored', 'data', "key = dict(front=front, src=src, **_harmony_key(cfg), **_musicnn_key(cfg))",
     "key = dict(front=front, src=src, **_musicnn_key(cfg))", ['02_data'], []),
    ('student_hears_the_harmony', 'distill',
     "rows = cfg.n_mels + (HARMONY_ROWS if cfg.student_harmony else 0)", "rows = cfg.n_mels + HARMONY_ROWS",
     [], ['tests/test_pipeline.py']),
    # --- the transcriber + student in one deployable graph (01b_harmony.harmony_graph, 01a_wave, 09_export, 09a_predict, web)
    ('graph_rolled_the_wrong_way', 'harmony', "roll = op('Mod', [op('Add', [k(np.arange(12, dtype=np.int64)), tonic]), i64(12)])",
     "roll = op('Mod', [op('Sub', [k(np.arange(12, dtype=np.int64)), tonic]), i64(12)])", ['01b_harmony'], []),
    ('graph_minor_key_ignored', 'harmony', "    tonic = op(\n        'Where',\n        [\n            op('GreaterOrEqual', [ma, mi]),\n            op('ArgMax', [maj], keepdims=1),\n            op('ArgMax', [mnr], keepdims=1),\n        ],\n    )",
     "    tonic = op('ArgMax', [maj], keepdims=1)", ['01b_harmony'], []),
    ('graph_interp_not_clamped', 'harmony', "    w = op(\n        'Cast',\n        [op('Clip', [op('Sub', [pos, i0]), k(np.float64(0)), k(np.float64(1))])],\n        to=TP.FLOAT,\n    )",
     "    w = op('Cast', [op('Sub', [pos, i0])], to=TP.FLOAT)", ['01b_harmony'], []),
    ('graph_activity_row_is_the_loudest_note', 'harmony', "act = op('Unsqueeze', [op('ReduceSum', [R, i64(1)], keepdims=0), i64(0)])",
     "act = op('Unsqueeze', [op('ReduceMax', [R, i64(1)], keepdims=0), i64(0)])", ['01b_harmony'], []),
    # --- the transcriber on phones: basic-pitch's network and the rows in torch (01d_transcriber), harmony.pte (09_export)
    ('transcriber_octaves_not_lowpassed', 'transcriber',
     "x = F.conv2d(F.pad(x, (127, 127)), self.lowpass, stride=(1, 2))", "x = x[..., ::2]", ['01d_transcriber'], []),
    ('transcriber_middle_frames_shifted', 'transcriber', "notes = self.net(window)[:, BP_EDGE:-BP_EDGE]",
     "notes = self.net(window)[:, :-2 * BP_EDGE]", ['01d_transcriber'], []),
    ('transcriber_rolled_the_wrong_way', 'transcriber', "roll = (torch.arange(12) + tonic) % 12",
     "roll = (torch.arange(12) - tonic) % 12", ['01d_transcriber'], []),
    ('transcriber_minor_key_ignored', 'transcriber', "tonic = torch.where(ma >= mi, r[:12].argmax(), r[12:].argmax())",
     "tonic = r[:12].argmax()", ['01d_transcriber'], []),
    ('transcriber_interp_not_clamped', 'transcriber',
     "w = torch.clamp((pos - i0 * self.den).to(frames.dtype) / self.den, 0, 1)",
     "w = (pos - i0 * self.den).to(frames.dtype) / self.den", ['01d_transcriber'], []),
    ('transcriber_frames_not_cut', 'transcriber', "frames = np.concatenate(out)[:int(round(len(y) / BP_HOP))]",
     "frames = np.concatenate(out)", ['01d_transcriber'], []),
    ('transcriber_windows_do_not_overlap', 'transcriber',
     "range(0, max(1, len(yp) - BP_OVERLAP), BP_WINDOW - BP_OVERLAP)", "range(0, max(1, len(yp) - BP_OVERLAP), BP_WINDOW)",
     ['01d_transcriber'], []),
    ('harmony_pte_rows_shapes_fixed', 'export',
     "ep = {k: torch.export.export(copy.deepcopy(m).cpu().eval(), ex, dynamic_shapes=ds)",
     "ep = {k: torch.export.export(copy.deepcopy(m).cpu().eval(), ex)", [],
     ['tests/test_mobile.py::test_harmony_pte_has_two_methods_and_says_which']),
    ('phone_path_checked_on_onnx_rows', 'export', "lambda m: (pte_outputs(m, A, Rp), dict(latency_ms_b1=phone['ms_per_window'])),",
     "lambda m: (pte_outputs(m, A, R), dict(latency_ms_b1=phone['ms_per_window'])),", [],
     ['tests/test_mobile.py::test_a_harmony_student_gets_its_programs_and_harmony_pte']),
    ('wave_rows_above_the_mel', 'wave', "return self.model(torch.cat([self.frontend(wave), rows.unsqueeze(1)], 2))",
     "return self.model(torch.cat([rows.unsqueeze(1), self.frontend(wave)], 2))", ['01a_wave'], []),
    ('wave_rows_normalised_before_padding', 'wave', "rows = (harmony - self.hmean) / self.hstd", "rows = harmony", ['01a_wave'], []),
    ('predict_rows_above_the_mel', 'inference', "X = np.concatenate([X, pred.harmony[1](rows)], 1)",
     "X = np.concatenate([pred.harmony[1](rows), X], 1)", ['09a_predict'],
     ['tests/test_pipeline.py::test_transcriber_and_student_bundle']),
    ('predict_rows_not_normalised', 'inference', "X = np.concatenate([X, pred.harmony[1](rows)], 1)",
     "X = np.concatenate([X, rows], 1)", ['09a_predict'], ['tests/test_pipeline.py::test_transcriber_and_student_bundle']),
    ('predict_graph_hash_unchecked', 'inference', "    if got != want:", "    if False:",
     [], ['tests/test_pipeline.py::test_transcriber_and_student_bundle']),
    # --- MusiCNN without TensorFlow (01c_musicnn): the checkpoint reader's checks and the port's parity with the original
    ('musicnn_tensor_crc_unchecked', 'musicnn', "    if masked_crc32c(raw) != e.get(6, [None])[0]:", "    if False:",
     ['01c_musicnn'], []),
    ('musicnn_block_crc_unchecked', 'musicnn', "    if masked_crc32c(data[off:off + size + 1]) != stored:", "    if False:",
     ['01c_musicnn'], []),
    ('musicnn_wheel_hash_unchecked', 'musicnn', "        if h != want:\n", "        if False:\n", ['01c_musicnn'], []),
    ('musicnn_float16_rounding_dropped', 'musicnn', "S = S.astype(np.float16).astype(np.float32)", "S = S.astype(np.float32)",
     ['01c_musicnn'], []),
    ('musicnn_bn_before_relu', 'musicnn', "h = bn(F.relu(conv(F.pad(x, (0, 0, 3, 3)))))", "h = F.relu(bn(conv(F.pad(x, (0, 0, 3, 3)))))",
     ['01c_musicnn'], []),
    ('musicnn_same_padding_reversed', 'musicnn', "F.pad(x, (0, 0, (k - 1) // 2, k // 2))", "F.pad(x, (0, 0, k // 2, (k - 1) // 2))",
     ['01c_musicnn'], []),
    ('musicnn_pooling_not_interleaved', 'musicnn', "pooled = torch.stack([h.amax(2), h.mean(2)], 2).flatten(1)",
     "pooled = torch.cat([h.amax(2), h.mean(2)], 1)", ['01c_musicnn'], []),
    ('musicnn_cache_key_ignores_mtime', 'musicnn', "str(p), st.st_size, st.st_mtime_ns])", "str(p), st.st_size])",
     ['01c_musicnn'], []),
    # --- cache keys against behaviour (issue 28: every key changes exactly when what it caches does)
    ('unlabelled_key_ignores_max_windows', 'data',
     "            front={k: getattr(cfg, k) for k in FRONTEND_FIELDS + ('max_windows',)},\n            files=folder_signature(root),\n            max_windows=cfg.max_windows,",
     "            front={k: getattr(cfg, k) for k in FRONTEND_FIELDS},\n            files=folder_signature(root),", ['02_data'], []),
    ('unlabelled_key_ignores_skip_bad', 'data', "            skip_bad=cfg.skip_bad,\n            **_harmony_key(cfg),",
     "            **_harmony_key(cfg),", ['02_data'], []),
    ('corpus_key_ignores_fmax', 'pretrain', "front = {k: getattr(cfg, k) for k in FRONTEND_FIELDS if k != 'win_hop_frames'}",
     "front = {k: getattr(cfg, k) for k in FRONTEND_FIELDS if k not in ('win_hop_frames', 'fmax')}", ['04a_pretrain'], []),
    ('corpus_key_reads_the_hop', 'pretrain', "front = {k: getattr(cfg, k) for k in FRONTEND_FIELDS if k != 'win_hop_frames'}",
     "front = {k: getattr(cfg, k) for k in FRONTEND_FIELDS}", ['04a_pretrain'], []),
    # --- training-loop knobs at values where they show (issue 28)
    ('weight_decay_on_biases', 'train', "dict(params=no_decay, weight_decay=0.0)", "dict(params=no_decay, weight_decay=cfg.weight_decay)",
     ['03_train'], []),
    ('resume_forgets_early_stopping', 'train', "torch.set_rng_state(st['rng']); track.update(best=st['best'], bad_epochs=st['bad_epochs'])",
     "torch.set_rng_state(st['rng'])", ['03_train'], []),
    ('layer_map_rounds_down', 'distill', "int(np.ceil((i + 1) * teacher_depth / student_depth)) - 1",
     "int(np.floor((i + 1) * teacher_depth / student_depth + 0.5)) - 1", ['07_distill'], []),
    # --- the test split never reaches training (tests/test_no_leak.py: test labels and audio changed, models identical)
    ('teacher_selected_on_test', 'teacher', "hist = fit(model, (Xtr, ytr), data.windows('val', True, mus), cfg,",
     "hist = fit(model, (Xtr, ytr), data.windows('test', True, mus), cfg,", [], ['tests/test_no_leak.py']),
    ('gan_labels_drawn_from_test', 'gan', "y = sample_labels(data.arrays('train')[1], n,", "y = sample_labels(data.arrays('test')[1], n,",
     [], ['tests/test_no_leak.py']),
    ('kd_transfer_mixes_test_windows', 'distill', "mixup_set(ts.X, n, cfg, ts.E is not None)",
     "mixup_set(np.concatenate([ts.X, data.teacher_arrays('test')[0]]), n, cfg, ts.E is not None)",
     [], ['tests/test_no_leak.py']),
    ('cache_entry_not_checked', 'rundir', "            check(arrays); return arrays, True", "            return arrays, True", ['00b_rundir', '02_data'], []),
    ('cache_written_without_use_cache', 'rundir', "    arrays = build()\n    if use_cache:", "    arrays = build()\n    if True:", ['00b_rundir'], []),
    ('teacher_stage_ignores_the_backbone', 'teacher', "        ctx.cfg,\n        ctx.run,\n        ctx['data'],\n        ctx.get('gan'),\n        progress=ctx.progress,\n        pretrained=(ctx.get('pretrain') or {}).get('backbones', {}).get('teacher'),",
     "        ctx.cfg, ctx.run, ctx['data'], ctx.get('gan'), progress=ctx.progress, pretrained=None", [], ['tests/test_pipeline.py::test_teacher_starts_from_the_pretrain_stages_backbone']),
    ('gan_key_ignores_the_training_windows', 'gan', "dict({k: getattr(cfg, k) for k in _KEY_FIELDS}, train=h.hexdigest()[:20])",
     "dict({k: getattr(cfg, k) for k in _KEY_FIELDS})",
     [], ['tests/test_gan.py::test_resume_key_changes_exactly_when_what_the_gan_learns_does']),
    # --- the config sections as keys (00_core) and the pipeline's steps (10_cli)
    ('config_section_field_not_checked', 'core', "k = config_fields(key)[0] if '.' in key else key",
     "k = key.split('.')[-1]",
     ['00_core'], []),
    ('config_fields_exclude_ignored', 'core', "if n not in out and n not in exclude]", "if n not in out]", ['00_core', '04a_pretrain'], []),
    ('option_default_said_per_reading', 'cli', "            parents=[_anno_parser(fn)],", "            parents=[anno_parser(fn)],",
     ['10_cli'], []),
    # --- windows read a batch at a time (issue 38)
    ('cache_member_read_whole', 'rundir', "            if name in names and info.compress_type == zipfile.ZIP_STORED:",
     "            if False:", ['00b_rundir'], []),
    ('windows_concat_wrong_part', 'data', "            which = np.searchsorted(start, i, 'right') - 1",
     "            which = np.searchsorted(start, i, 'left') - 1", ['02_data'], []),
    ('targets_layout_unknown_on_empty_rank', 'distill', "            if len(j) or dt is None:", "            if len(j):",
     [], ['tests/test_torchrun.py']),
    ('report_not_written_after_export', 'cli', "    if st.finish: st.finish(ctx)\n", "", [], ['tests/test_pipeline.py']),
    ('restored_stage_not_reported', 'cli', "        ctx.restored[stage] = c", "        pass", [], ['tests/test_stage_cache.py']),
    ('export_audio_in_against_the_feature_reference', 'export', "m = load(p); record(name, p, fmt.format(how=how), *use(m), against)",
     "m = load(p); record(name, p, fmt.format(how=how), *use(m))", [], ['tests/test_evaluate_export.py']),
    ('gan_key_ignores_the_vicinity', 'gan', "exclude=('gan', 'n_synthetic', 'gan_epochs'))", "exclude=('gan', 'n_synthetic', 'gan_epochs', 'gan_vicinity'))",
     [], ['tests/test_gan.py::test_resume_key_changes_exactly_when_what_the_gan_learns_does']),
    ('log_bands_interpolation_dropped', 'audio', "        if c * (2 ** step - 2 ** -step) < 2 * df:", "        if False:",
     ['01_audio'], []),
    ('log_bands_not_normalised', 'audio', "return (W / W.sum(1, keepdims=True)).astype(np.float32)", "return W.astype(np.float32)",
     ['01_audio'], []),
    # --- shipping the better student, never overwriting what is not ours (08_evaluate, 00b_rundir, 10_cli)
    ('gate_compares_the_teacher', 'evaluate', "    ok = s > n\n", "    ok = t > n\n", ['08_evaluate'], []),
    ('verdict_good_despite_kd_loss', 'evaluate', "            if label in ('excellent', 'good'): label = 'distillation did not help'\n",
     "", ['08_evaluate'], []),
    ('plot_overwrites_any_file', 'rundir', "    if head != magic:", "    if False:", ['00b_rundir'], ['tests/test_predict.py']),
    ('plot_may_replace_the_input', 'rundir', "            if os.path.samefile(p, i):", "            if False:",
     ['00b_rundir'], ['tests/test_predict.py']),
    ('finished_teacher_redone_unasked', 'cli', "        if (\n            st.protected\n            and s not in forced\n            and info is not None\n            and info.get('fingerprint') != fp[s]\n        ):",
     "        if False and info is not None and info.get('fingerprint') != fp[s]:", [], ['tests/test_run_safety.py']),
    ('dry_run_replaces_a_finished_run', 'cli', "    if what:", "    if False:",
     [], ['tests/test_run_safety.py']),
    # --- untrusted headers and files, splits, undefined metrics, interrupts (01_audio, 02_data, 08_evaluate, 09_export; issue 26)
    ('audio_rate_floor_dropped', 'audio', "    if info.samplerate < MIN_SAMPLE_RATE:", "    if False:", [], ['tests/test_bad_input.py']),
    ('ogg_end_of_stream_ignored', 'audio', "    if re.search(r'(lacks an|without an) end-of-stream', info.extra_info or '', re.I):",
     "    if False:", [], ['tests/test_bad_input.py']),
    ('long_audio_blocks_drop_the_tail', 'audio', "                    out.append(rs.resample_chunk(m, last=last) if rs is not None else m)",
     "                    out.append(rs.resample_chunk(m, last=False) if rs is not None else m)", [], ['tests/test_bad_input.py']),
    # --- real-world audio: lengths a header records or estimates, cut files (01_audio; issue 35)
    ('mp3_info_tag_detection_inverted', 'audio', "if info.format == 'MP3' and not _mpeg_length_tag(path): return None",
     "if info.format == 'MP3' and _mpeg_length_tag(path): return None", ['01_audio'], ['tests/test_real_world_audio.py']),
    ('mp3_length_estimate_trusted', 'audio', "if info.format == 'MP3' and not _mpeg_length_tag(path): return None",
     "if False: return None", ['01_audio'], ['tests/test_real_world_audio.py']),
    ('mp3_id3v2_tag_not_skipped', 'audio', "while len(h := f.read(10)) == 10 and h[:3] == b'ID3':",
     "while False and (h := f.read(10)):", ['01_audio'], ['tests/test_real_world_audio.py']),
    ('mp3_xing_offset_ignores_crc', 'audio', "x = i + 4 + side + 2 * crc", "x = i + 4 + side", ['01_audio'], ['tests/test_real_world_audio.py']),
    ('mp3_apev2_tag_not_left_out', 'audio', "if end - start >= 32 and foot[:8] == b'APETAGEX':", "if False:",
     ['01_audio'], ['tests/test_real_world_audio.py']),
    ('mp3_decoder_stopping_early_accepted', 'audio', "    if fed < end - start:\n", "    if False:\n", ['01_audio'], ['tests/test_real_world_audio.py']),
    ('wav_cut_data_chunk_accepted', 'audio', "    if cut and not _streamed_size(int(cut.group(1))):", "    if False:",
     ['01_audio'], ['tests/test_real_world_audio.py']),
    ('wav_written_to_a_pipe_refused', 'audio', "    if cut and not _streamed_size(int(cut.group(1))):", "    if cut:",
     ['01_audio'], ['tests/test_real_world_audio.py']),
    ('ogg_last_page_not_checked', 'audio', "    if ogg and (how := _ogg_cut(path)):\n        raise",
     "    if False:\n        raise", ['01_audio'], ['tests/test_real_world_audio.py']),
    ('ogg_end_of_stream_flag_ignored', 'audio', "return None if b[i + 5] & 4 else 'lacks its end-of-stream mark'", "return None",
     ['01_audio'], ['tests/test_real_world_audio.py']),
    ('decoded_length_limit_not_checked', 'audio', "                    if n_in > limit:", "                    if False:",
     ['01_audio'], ['tests/test_real_world_audio.py']),
    ('blocks_read_with_seeks', 'audio', "                b, err = _read(f, block)",
     "                b, err = f.read(block, dtype='float32', always_2d=True), None", ['01_audio'], ['tests/test_real_world_audio.py']),
    ('recorded_length_not_checked', 'audio', "    if frames is not None and n < frames:", "    if False:",
     ['01_audio'], ['tests/test_real_world_audio.py', 'tests/test_bad_input.py']),
    ('duplicate_audio_keeps_its_group', 'data', "    merged = [first[k] for k in ident];", "    merged = list(group);",
     [], ['tests/test_user_errors.py']),
    ('skip_bad_trains_on_the_rest', 'data', "    if len(skipped) > len(clips):", "    if False:", [], ['tests/test_bad_input.py']),
    ('constant_labels_score_zero', 'evaluate', "        # and so is its interval (every resample would score 0)\n        if np.ptp(y[:, i]) == 0:",
     "        if False:  # and so is its interval (every resample would score 0)",
     ['08_evaluate'], []),
    # --- the independent audit's survivors (issue 28), now with assertions against hand-computed values
    ('group_split_val_test_swapped', 'data', "        g: ('test' if i < n_test else 'val' if i < n_test + n_val else 'train')",
     "        g: ('val' if i < n_test else 'test' if i < n_test + n_val else 'train')", ['02_data'], []),
    ('schedule_linear_not_cosine', 'train', "return 0.5 * (1 + math.cos(math.pi * min(1.0, (s - warm) / max(1, total_steps - warm))))",
     "return 1 - min(1.0, (s - warm) / max(1, total_steps - warm))", ['03_train'], []),
    ('teacher_fingerprint_ignores_pretraining', 'teacher', "keys=('teacher', 'model', 'pretrain', 'optim', 'common.seed', 'data.data_seed'),",
     "keys=('teacher', 'model', 'optim', 'common.seed', 'data.data_seed'),", ['10_cli', '04a_pretrain'], []),
    ('student_fingerprint_ignores_kd_corpus', 'distill', "keys=_STUDENT_KEYS + ('distill',)",
     "keys=_STUDENT_KEYS + tuple(f'distill.{f}' for f in config_fields('distill') if f != 'kd_corpus')", ['10_cli'], []),
    ('teacher_not_trained_by_every_rank', 'teacher', "    ddp=True,\n    cached=True,",
     "    cached=True,", ['10_cli'], []),
    ('feature_key_ignores_max_windows', 'data', "    front = {k: getattr(cfg, k) for k in FRONTEND_FIELDS + ('max_windows',)}",
     "    front = {k: getattr(cfg, k) for k in FRONTEND_FIELDS}", ['02_data'], []),
    ('rundir_trusts_a_config_json', 'rundir', "    if path.is_dir() and not (path/RUN_MARKER).exists() \\",
     "    if path.is_dir() and not (path/'config.json').exists() \\", ['00b_rundir'], []),
    ('atomic_write_text_in_place', 'rundir', "    with atomic_path(dst) as tmp: Path(tmp).write_text(text)", "    Path(dst).write_text(text)",
     ['00b_rundir'], []),
    ('fmax_not_capped_at_nyquist', 'audio', "    fmax = min(fe.fmax, fe.sample_rate / 2)\n    if fe.freq_scale == 'log'",
     "    fmax = fe.fmax\n    if fe.freq_scale == 'log'", ['01a_wave'], []),
    ('manifest_group_column_ignored', 'data', "group=str(raw if group is None or pd.isna(group) else group),",
     "group=str(raw),", [], ['tests/test_data.py']),
    ('ridge_fitted_on_test', 'data', "    Xtr, ytr = (data.teacher_arrays if rows else data.arrays)('train')",
     "    Xtr, ytr = (data.teacher_arrays if rows else data.arrays)('test')",
     ['02_data'], []),
    ('gradient_clipping_disabled', 'train', "gn = torch.nn.utils.clip_grad_norm_(self.params, self.clip)",
     "gn = torch.nn.utils.clip_grad_norm_(self.params, float('inf'))", ['03_train'], []),
    ('loss_idx_not_the_batch_rows', 'train', "loss, _ = step(x, y, torch.as_tensor(idx))", "loss, _ = step(x, y, torch.arange(len(idx)))",
     ['03_train'], []),
    ('teacher_hidden_targets_reversed', 'distill', "rec['hidden'] = torch.stack(h, 1).numpy()", "rec['hidden'] = torch.stack(h[::-1], 1).numpy()",
     ['07_distill'], []),
    ('corpus_from_the_run_seed', 'distill', "procedural_corpus(cfg, cfg.kd_corpus, cfg.data_seed, progress, harmony=cfg.harmony,",
     "procedural_corpus(cfg, cfg.kd_corpus, cfg.seed, progress, harmony=cfg.harmony,", ['07_distill'], []),
    ('gan_samples_at_other_labels', 'gan', "    return generate_at(generator, y, seed, batch_size), y",
     "    return generate_at(generator, y[::-1].copy(), seed, batch_size), y", ['04_gan'], []),
    ('report_bootstrap_over_windows', 'evaluate', "    w = bootstrap_weights(groups, cfg.bootstrap, cfg.seed)",
     "    w = bootstrap_weights(np.arange(len(groups)), cfg.bootstrap, cfg.seed)", ['08_evaluate'], []),
    ('normaliser_keeps_only_the_last_chunk', 'audio', "s += c.sum((0, 2)); s2 += (c ** 2).sum((0, 2)); n += c.shape[0] * c.shape[2]",
     "s = c.sum((0, 2)); s2 = (c ** 2).sum((0, 2)); n = c.shape[0] * c.shape[2]", ['01_audio'], []),
    ('early_stopping_counter_not_reset', 'train', "            track.update(best=m['ccc_mean'], bad_epochs=0)",
     "            track.update(best=m['ccc_mean'])", ['03_train'], []),
    ('bundle_label_range_dropped', 'export', "fpath = write_bundle(cfg, data.norm, out, models, default, source_label_range(cfg), data.hnorm,",
     "fpath = write_bundle(cfg, data.norm, out, models, default, (-1.0, 1.0), data.hnorm,", ['09_export'], []),
    ('default_judged_by_the_log_mel_int8', 'export', "    default = 'wave_int8' if wave_int8_ok else 'wave_fp32'",
     "    default = 'wave_int8' if int8_ok else 'wave_fp32'", ['09_export'], []),
    # --- judging any bundle on labelled clips, batch predict, what a bundle learnt from (09b_score, 09a_predict, 09_export; issue 34)
    ('score_auc_sides_swapped', 'scoring', "    pos, s = np.asarray(positive, bool), np.asarray(score, np.float64)",
     "    pos, s = ~np.asarray(positive, bool), np.asarray(score, np.float64)", ['09b_score'], ['tests/test_score.py']),
    ('score_auc_ties_count_whole', 'scoring', "(wp * (below + 0.5 * tied)).sum(1)", "(wp * (below + tied)).sum(1)",
     ['09b_score'], []),
    ('score_quadrants_from_one_axis', 'scoring', "    if all(two):\n", "    if any(two):\n", ['09b_score'], []),
    ('score_two_values_anywhere', 'scoring', "two.append(len(v) == 2 and v[0] < middle < v[1])", "two.append(len(v) == 2)",
     ['09b_score'], []),
    ('score_sign_at_zero_not_the_middle', 'scoring', "ok = np.sign(p[:, i] - middle) == np.sign(y[:, i] - middle)",
     "ok = np.sign(p[:, i]) == np.sign(y[:, i] - middle)", ['09b_score'], []),
    ('score_labels_not_on_the_bundle_scale', 'scoring', "    y = pred.to_labels(rows[list(DIMS)].to_numpy(np.float64)[keep])",
     "    y = rows[list(DIMS)].to_numpy(np.float64)[keep]", ['09b_score'], []),
    ('score_bootstrap_over_clips', 'scoring', "    w = bootstrap_weights(groups, bootstrap, seed)",
     "    w = bootstrap_weights(np.arange(len(groups)), bootstrap, seed)", ['09b_score'], []),
    ('score_manifest_skips_not_counted', 'scoring', "    skipped, clips, P, keep = list(skipped), [], [], []",
     "    skipped, clips, P, keep = [], [], [], []", ['09b_score'], []),
    ('score_constant_labels_ccc_zero', 'scoring', "        out[f'ccc_{d}'] = ccc(y[:, i], p[:, i]) if ok else None",
     "        out[f'ccc_{d}'] = ccc(y[:, i], p[:, i])", ['09b_score'], []),
    ('batch_predict_skip_not_counted', 'inference', "            skipped.append(str(e)); tqdm.write(",
     "            tqdm.write(", ['09a_predict'], ['tests/test_predict.py::test_predict_many_files_skips_bad_ones_and_exits_1']),
    ('batch_predict_curves_misaligned', 'inference', "    for r, ws in zip(rows, wins):", "    for r, ws in zip(rows, wins[::-1]):",
     ['09a_predict'], []),
    ('synthetic_bundle_not_told_out_of_domain', 'inference', "    if td.get('synthetic') or td['kind'] == 'embedded':",
     "    if False:", ['09a_predict'], ['tests/test_score.py::test_score_two_valued_labels']),
    ('swallowed_ctrl_c_forgotten', 'export', "    if _SIGINT_SEEN: _SIGINT_SEEN.clear(); raise KeyboardInterrupt", "    _SIGINT_SEEN.clear()",
     [], ['tests/test_interruption.py']),
    # --- round four: the stage cache's entry names, one writer per run folder, --set's own keys (10_cli, 00b_rundir, 00_core)
    ('stage_cache_entry_names_trusted', 'rundir', "        if (odd := sorted(set(entry['files']) - held)):",
     "        if (odd := []):", ['10_cli'], []),
    ('stage_cache_force_keeps_bad_entry', 'rundir', "    if dst.is_dir() and not replace: return dst", "    if dst.is_dir(): return dst",
     ['10_cli'], []),
    ('stage_cache_forced_not_stored', 'cli', "    if st.cached and ctx.cfg.stage_cache: d.key =",
     "    if st.cached and ctx.cfg.stage_cache and stage not in ctx.forced: d.key =", [],
     ['tests/test_stage_cache.py::test_teacher_restored_into_another_run_and_rebuilt_when_corrupt']),
    ('run_lock_not_taken', 'cli', "    lock = RunLock(out) if main else None", "    lock = None", [],
     ['tests/test_run_safety.py::test_a_second_run_into_a_busy_out_is_refused_and_the_first_finishes']),
    ('run_lock_nonexclusive', 'rundir', "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)", "fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)",
     ['00b_rundir'], []),
    ('run_lock_refusal_rewrites_the_folder', 'rundir', "        elif tidy: os.ftruncate(self._fd, 0); os.pwrite(self._fd, self._prev, 0)",
     "        elif tidy: pass", ['00b_rundir'], []),
    ('set_preset_accepted', 'core', "        if k in ('preset', 'run.preset'):", "        if False:", ['00_core'], []),
    ('set_field_given_twice_last_wins', 'core', "        if k in given:", "        if False:",
     ['00_core'], []),
    ('undefined_ccc_interval_zero', 'evaluate', "            sec['ci95'][f'ccc_{d}'] = sec['ci95']['ccc_mean'] = None",
     "            pass", ['08_evaluate'], []),
    ('one_song_interval_given', 'evaluate', "        sec['ci95'] = {k: None for k in sec['ci95']}", "        pass", ['08_evaluate'], []),
    ('ridge_ignores_harmony_rows', 'evaluate', "    base = RidgeBaseline.fit(data, rows=cfg.student_harmony)",
     "    base = RidgeBaseline.fit(data, rows=False)", [], ['tests/test_pipeline.py::test_transcriber_and_student_bundle']),
    ('ridge_rows_fit_on_logmel', 'data', "(data.teacher_arrays if rows else data.arrays)('train')",
     "(data.arrays)('train')", ['08_evaluate'], []),
    ('harmony_false_keeps_student_harmony', 'core', "        vals['student_harmony'] = False", "        pass", ['00_core'], []),
    ('predict_non_finite_outputs_passed', 'inference', "    if not np.isfinite(va).all():", "    if False:", [],
     ['tests/test_predict.py::test_non_finite_model_outputs_are_an_error_not_a_prediction']),
    ('harmony_normalisation_not_checked_finite', 'inference',
     "            or not (np.isfinite(mean).all() and np.isfinite(std).all()):", "            or False:", [],
     ['tests/test_pipeline.py::test_transcriber_and_student_bundle']),
    ('full_width_digits_accepted', 'core', "if typ in (int, float) and not v.isascii():", "if False:", ['00_core'], []),
    # --- MusiCNN's embedding as privileged input and as a student target (issue 33 items 2 and 3a: 02_data,
    # 04a_pretrain, 05_teacher, 07_distill, 03_train, 08_evaluate, 00_core)
    ('musicnn_window_overlap_unweighted', 'data', "wts = np.where(ov.sum(1, keepdims=True) > 0, ov, np.eye(len(p0))[near])",
     "wts = np.where(ov.sum(1, keepdims=True) > 0, (ov > 0).astype(float), np.eye(len(p0))[near])", ['02_data'], []),
    ('musicnn_window_nearest_is_farthest', 'data', "near = np.abs((w0 + w1)[:, None] - (p0 + p1)).argmin(1)",
     "near = np.abs((w0 + w1)[:, None] - (p0 + p1)).argmax(1)", ['02_data'], []),
    ('musicnn_windows_at_the_wrong_hop', 'data', "window_starts(n_frames, cfg.win_frames, hop, max_windows), cfg)",
     "window_starts(n_frames, cfg.win_frames, cfg.win_frames, max_windows), cfg)", ['02_data'], []),
    ('musicnn_pack_column_major', 'data', "pad = pad.reshape(n, musicnn_rows(T), T)", "pad = pad.reshape(n, T, musicnn_rows(T)).transpose(0, 2, 1)",
     ['02_data', '05_teacher'], []),
    ('musicnn_feature_key_ignored', 'data', "key = dict(front=front, src=src, **_harmony_key(cfg), **_musicnn_key(cfg))",
     "key = dict(front=front, src=src, **_harmony_key(cfg))", ['02_data'], []),
    ('musicnn_unlabelled_key_ignored', 'data', "            **_musicnn_key(cfg),\n        )", "        )",
     ['02_data'], []),
    ('musicnn_normalised_on_all_windows', 'data', "data.enorm = Normalizer.fit(E[data.index('train')][:, :, None])",
     "data.enorm = Normalizer.fit(E[:, :, None])", ['02_data'], []),
    ('musicnn_not_in_the_fingerprint', 'data', "((self.E, self.enorm.mean, self.enorm.std) if self.E is not None else ())",
     "()", ['02_data'], []),
    ('corpus_musicnn_of_other_clips', 'pretrain', "jobs = [partial(_corpus_audio, cfg, seed, p, i)",
     "jobs = [partial(_corpus_audio, cfg, seed + 1, p, i)", ['04a_pretrain'], []),
    ('musicnn_token_attention_kept', 'teacher', "    if getattr(model, 'musicnn_mode', 'off') == 'token':", "    if False:",
     ['05_teacher'], []),
    ('musicnn_token_attention_not_renormalised', 'teacher',
     "maps = [a[..., :-1, :-1] / a[..., :-1, :-1].sum(-1, keepdim=True) for a in maps]", "maps = [a[..., :-1, :-1] for a in maps]",
     ['05_teacher'], []),
    ('musicnn_split_takes_the_padding', 'teacher', ".flatten(1)[:, :MUSICNN_DIM]", ".flatten(1)[:, -MUSICNN_DIM:]",
     ['05_teacher'], []),
    ('musicnn_head_ignores_the_embedding', 'teacher', "if self.musicnn_mode == 'head': z = torch.cat([z, x[:, -1]], 1)",
     "if self.musicnn_mode == 'head': z = torch.cat([z, 0 * x[:, -1]], 1)", ['05_teacher'], []),
    ('musicnn_teacher_trained_without_it', 'teacher', "    mus = cfg.teacher_musicnn != 'off'", "    mus = False",
     ['05_teacher'], []),
    ('musicnn_teacher_evaluated_without_it', 'evaluate', "            X = data.teacher_arrays('test', musicnn=True)[0]",
     "            pass", [], ['tests/test_pipeline.py::test_musicnn_teacher_and_student_end_to_end']),
    ('kd_musicnn_mask_ignored', 'distill', "        if mask is None: return per.mean()", "        if True: return per.mean()",
     ['07_distill'], []),
    ('kd_musicnn_weight_dropped', 'distill', "total = total + self.musicnn * parts['musicnn']", "total = total + parts['musicnn']",
     ['07_distill'], []),
    ('kd_musicnn_mixtures_get_targets', 'distill', "E = np.full((n, MUSICNN_DIM), np.nan, np.float32) if musicnn else None",
     "E = np.zeros((n, MUSICNN_DIM), np.float32) if musicnn else None", ['07_distill'], []),
    ('musicnn_rows_heard_by_the_student', 'distill', "    if Xtr.shape[1] > rows: Xtr = Xtr.rows(rows)",
     "    pass", ['07_distill'], []),
    ('loss_module_left_out_of_the_optimiser', 'train',
     "    params = list(model.parameters()) + (\n        list(loss_module.parameters()) if loss_module is not None else []\n    )",
     "    params = list(model.parameters())", ['07_distill'], []),
    ('musicnn_cross_check_dropped', 'core', "        lambda c: c.musicnn or (c.teacher_musicnn == 'off' and not c.kd_musicnn),",
     "        lambda c: True,", ['00_core'], []),
    # --- issue 37 (tests, round four): survivors of an independent audit, and the blind spots beside them
    ('harmony_key_version_dropped', 'harmony',
     'return f"{check_transcriber(transcriber_path()) and NMP_SHA256[:16]}-v{HARMONY_VERSION}"',
     'return f"{check_transcriber(transcriber_path()) and NMP_SHA256[:16]}"', ['01b_harmony'], []),
    ('harmony_activity_row_is_the_loudest_note', 'harmony', "one * mi, R.sum(1)])", "one * mi, R.max(1)])",
     ['01b_harmony'], []),
    ('harmony_major_minor_rows_swapped', 'harmony', "np.stack([one * (ma - mi), one * ma, one * mi,",
     "np.stack([one * (ma - mi), one * mi, one * ma,", ['01b_harmony'], []),
    ('harmony_grid_at_the_model_rate', 'harmony', "tb = np.arange(H.shape[1]) * BP_HOP / BP_RATE",
     "tb = np.arange(H.shape[1]) * BP_HOP / fe.sample_rate", ['01b_harmony'], []),
    ('learner_ignores_warmup_frac', 'train', "        self.sched = torch.optim.lr_scheduler.LambdaLR(\n            self.opt, warmup_cosine(total_steps, cfg.warmup_frac)\n        )", "        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, warmup_cosine(total_steps))",
     ['03_train'], []),
    ('total_steps_floored', 'train', "epochs * math.ceil(len(Xtr) / cfg.batch_size)", "epochs * (len(Xtr) // cfg.batch_size)",
     ['03_train'], []),
    ('kd_transfer_mixes_logmel_rows_only', 'distill',
     "mixup_windows(X, n, cfg.seed, lazy=True)",
     "Windows(lambda k: np.pad(mixup_windows(X, n, cfg.seed, lazy=True)[k][:, :cfg.n_mels], ((0, 0), (0, X.shape[1] - cfg.n_mels), (0, 0))), n)", ['07_distill'], []),
    ('ccc_identical_constants_zero', 'metrics', "(1.0 if np.allclose(t, p) else 0.0)", "0.0", ['00a_metrics'], []),
    ('ccc_one_window_defined', 'metrics', "if len(t) < 2: return float('nan')", "if len(t) < 1: return float('nan')",
     ['00a_metrics'], []),
    ('weighted_ccc_identical_constants_zero', 'metrics', "np.where(den > 0, 2 * cov / np.where(den > 0, den, 1), 1.0)",
     "np.where(den > 0, 2 * cov / np.where(den > 0, den, 1), 0.0)", ['00a_metrics'], []),
    ('pearson_constant_labels_not_zero', 'metrics', "if st < 1e-12 or sp < 1e-12: return 0.0", "if sp < 1e-12: return 0.0",
     ['00a_metrics'], []),
    # --- issue 37: the gate's choice exported, kd_gain's sign, predict at any hop for every model kind (09_export,
    # 08_evaluate, 09a_predict); issue 35: windows cut batch by batch, the bundle checked against its checksums
    ('export_ships_kd_whatever_the_gate', 'export',
     "    shipped = (ctx['evaluate'].get('kd_gate') or {}).get('shipped', 'student')\n", "    shipped = 'student'\n",
     ['09_export'], []),
    ('kd_gain_reversed', 'evaluate', "        k: None if None in (s[k], n[k]) else s[k] - n[k]",
     "        k: None if None in (s[k], n[k]) else n[k] - s[k]", ['08_evaluate'], []),
    ('predict_rows_at_the_training_hop', 'inference', "harmony_windows(H[:, a:b], cfg.win_frames, hop, 0)",
     "harmony_windows(H[:, a:b], cfg.win_frames, cfg.win_hop_frames, 0)", ['09a_predict'], []),
    ('predict_mel_at_the_training_hop', 'inference', "frame_windows(mel[:, a:b], cfg.win_frames, hop, 0)",
     "frame_windows(mel[:, a:b], cfg.win_frames, cfg.win_hop_frames, 0)", ['09a_predict'], []),
    ('predict_starts_at_the_training_hop', 'inference', "starts, padded = window_starts(T, cfg.win_frames, hop),",
     "starts, padded = window_starts(T, cfg.win_frames, cfg.win_hop_frames),", ['09a_predict'], []),
    ('predict_all_windows_at_once', 'inference', "        lambda s: pred.session.run(None, dict(zip(names, inputs(s))))[0], len(starts), batch_size",
     "        lambda s: pred.session.run(None, dict(zip(names, inputs(s))))[0], len(starts), len(starts)", ['09a_predict'], []),
    ('bundle_frontend_unchecked', 'inference', "    if (got := frontend_sha256(fe)) != sums['frontend']:", "    if False:",
     ['09a_predict'], []),
    ('bundle_model_hash_unchecked', 'inference', "    if want is not None and (got := file_sha256(onnx_file)) != want:",
     "    if False:", ['09a_predict'], []),
    ('bundle_file_outside_accepted', 'inference', "    if Path(name).is_absolute() or n in ('.', '..') or Path(n).name != n:",
     "    if Path(name).is_absolute():", ['09a_predict'], []),
    # --- issue 35/37, round five: refusals before any write, the feature cache, the cross-checks, the stage cache's code
    # version, interrupted attempts (10_cli, 00_core, 00b_rundir, 02_data)
    ('refusal_after_data_written', 'cli', "        if main: _preflight(ctx, Path(out))", "        pass", [],
     ['tests/test_run_safety.py::test_dry_run_or_other_preset_never_replaces_a_finished_run']),
    ('set_dry_run_is_full_size', 'core', "    return dry_run_config(cfg) if cfg.dry_run else cfg", "    return cfg", ['00_core'], []),
    ('cache_folder_error_fails_the_run', 'rundir',
     "        except OSError as e: _cache_unusable(path.parent, what, e)\n        else:",
     "        except ValueError as e: _cache_unusable(path.parent, what, e)\n        else:", ['00b_rundir'], []),
    ('cache_readonly_folder_fails_the_run', 'rundir',
     "        except OSError as e: _cache_unusable(path.parent, what, e)\n        else:",
     "        except (NotADirectoryError, FileExistsError) as e: _cache_unusable(path.parent, what, e)\n        else:",
     ['00b_rundir'], []),
    ('empty_cache_variable_is_the_cwd', 'data',
     "return Path(os.environ.get('DISTILLED_VIT_CACHE') or Path.home() / '.cache' / 'distilled_vit')",
     "return Path(os.environ.get('DISTILLED_VIT_CACHE', Path.home() / '.cache' / 'distilled_vit'))", ['02_data'], []),
    ('cache_entry_labels_trusted', 'data', "        _check_labels(cfg, manifest, clips, y, clip)\n", "", ['02_data'], []),
    ('harmony_gan_check_copied', 'core', "        lambda c: not (c.harmony and c.gan),", "        lambda c: not (c.harmony and c.teacher_pretrain),",
     ['00_core'], []),
    ('cached_arrays_reads_without_use_cache', 'rundir', "    try: present = use_cache and path.is_file()",
     "    try: present = path.is_file()", ['00b_rundir'], []),
    ('code_version_ignores_source', 'rundir', "    src = [\n        (p.name, hashlib.sha256(p.read_bytes()).hexdigest())\n        for p in sorted(pkg.glob('*.py'))\n        if p.name != '_modidx.py'\n    ]",
     "    src = [(p.name, '') for p in sorted(pkg.glob('*.py')) if p.name != '_modidx.py']", ['10_cli'], []),
    ('interrupted_attempt_kept_with_other_inputs', 'cli', "    before = d.found or run.done(stage, 'started.json')",
     "    before = d.found", ['10_cli'], []),
    ('unrecorded_attempt_resumed', 'cli', "    elif unknown or before is not None", "    elif before is not None", ['10_cli'], []),
    ('switched_off_field_counts_as_change', 'core', "        if not any(getattr(cfg, s) for s in switches):", "        if False:",
     ['00_core', '00b_rundir'], []),
    ('cached_skip_bad_entry_skips_silently', 'data', "    if (bad := json.loads(str(a['skipped']))) and not cfg.skip_bad:",
     "    if (bad := json.loads(str(a['skipped']))) and False:", [],
     ['tests/test_user_errors.py::test_a_run_ends_saying_what_it_read_and_skipped']),
    ('run_ends_without_saying_what_it_read', 'cli', "if (line := files_summary(out_)): print(line)", "pass", [],
     ['tests/test_user_errors.py::test_a_run_ends_saying_what_it_read_and_skipped']),
    ('unlabelled_skip_reasons_dropped', 'distill', "    keep = ('folder', 'files', 'files_used', 'windows', 'excluded_heldout', 'skipped',\n            'skipped_reasons')",
     "    keep = ('folder', 'files', 'files_used', 'windows', 'excluded_heldout', 'skipped')", ['07_distill'], []),
    ('run_end_line_hides_unlabelled_reasons', 'cli', "            + why(u.get('skipped') or 0, u.get('skipped_reasons') or [])",
     "            + ''", ['10_cli'], []),
    ('config_error_found_after_torch', 'cli',
     '    if err := _early_config_error([_opt(a) for a in argv]):\n        print(f"error: {err}", file=sys.stderr)\n        return 2',
     "    pass", [], ['tests/test_cli_help.py::test_a_config_error_is_answered_before_torch_is_imported']),
    ('full_disk_names_no_file', 'rundir', "            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst)) from e",
     "            raise", ['00b_rundir', '10_cli'], []),
]


def _notebook_of(module: str) -> Path:
    head = (ROOT / 'distilled_vit' / f'{module}.py').read_text()[:400]
    return ROOT / 'nbs' / re.search(r'File to edit: \.\./nbs/(\S+\.ipynb)', head).group(1)


def _apply(copy: Path, module: str, old: str, new: str):
    "Change `old` to `new` once in the module and once in its notebook's cells; refuses when either is not found exactly once."
    py = copy / 'distilled_vit' / f'{module}.py'
    text = py.read_text()
    if text.count(old) != 1: raise SystemExit(f"{module}.py: {old[:60]!r} found {text.count(old)} times (expected once)")
    py.write_text(text.replace(old, new))
    nbp = copy / 'nbs' / _notebook_of(module).name
    nb = json.loads(nbp.read_text()); hits = 0
    for c in nb['cells']:
        s = ''.join(c['source'])
        if old in s:
            hits += s.count(old); c['source'] = s.replace(old, new).splitlines(keepends=True)
    if hits != 1: raise SystemExit(f"{nbp.name}: {old[:60]!r} found {hits} times (expected once)")
    nbp.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')


def _run(cmd, cwd, env, timeout=900) -> bool:
    "True when the command passes."
    try: return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout).returncode == 0
    except subprocess.TimeoutExpired: return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--only', nargs='*', help='names of the mutations to run (default: all)')
    ap.add_argument('--out', default=str(ROOT / 'benchmarks' / 'results' / 'mutation_check.md'))
    a = ap.parse_args()
    todo = [m for m in MUTATIONS if not a.only or m[0] in a.only]
    bin_ = Path(sys.executable).parent
    rows, t_all = [], time.perf_counter()
    for name, module, old, new, nbs, tests in todo:
        tmp = Path(tempfile.mkdtemp(prefix=f'mut-{name}-'))
        copy = tmp / 'repo'
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns('.git', '.venv', 'runs', '.cache', '_docs', '_proc', '__pycache__'))
        _apply(copy, module, old, new)
        env = dict(os.environ, PYTHONPATH=str(copy), HF_HUB_OFFLINE='1', MPLBACKEND='Agg',
                   DISTILLED_VIT_CACHE=str(tmp / 'cache'), NUMBA_CACHE_DIR=os.environ.get('NUMBA_CACHE_DIR', str(ROOT / '.cache' / 'numba')))
        where = subprocess.run([sys.executable, '-c', 'import distilled_vit, sys; sys.stdout.write(distilled_vit.__file__)'],
                               cwd=copy, env=env, capture_output=True, text=True).stdout
        assert where.startswith(str(copy)), f"the copy is not the package under test ({where})"
        t0 = time.perf_counter(); failed = []
        for nb in nbs:
            if not _run([str(bin_ / 'nbdev_test'), '--path', f'nbs/{nb}.ipynb', '--n_workers', '1'], copy, env): failed.append(f'nbs/{nb}')
        for t in tests:
            if not _run([sys.executable, '-m', 'pytest', '-q', '-x', t], copy, env): failed.append(t)
        caught = bool(failed)
        rows.append(dict(name=name, module=module, caught=caught, by=failed, seconds=round(time.perf_counter() - t0, 1)))
        print(f"{'caught  ' if caught else 'SURVIVED'} {name:<36} {', '.join(failed) or '-'} ({rows[-1]['seconds']:.0f}s)", flush=True)
        shutil.rmtree(tmp, ignore_errors=True)
    today = time.strftime("%Y-%m-%d")
    for r in rows: r['date'] = today
    table = {r['name']: r for r in rows}
    if a.only and Path(a.out).exists():                  # keep the earlier rows of the mutations not rerun (with their date)
        for l in Path(a.out).read_text().splitlines():
            m = re.match(r"\| `(\w+)` \| `(\w+)` \| (caught|\*\*survived\*\*) \| (.*?) \| (\S+) \|$", l)
            if m and m.group(1) not in table and any(m.group(1) == x[0] for x in MUTATIONS):
                table[m.group(1)] = dict(name=m.group(1), module=m.group(2), caught=m.group(3) == 'caught',
                                         by=[] if m.group(4) == '–' else m.group(4).split(', '), date=m.group(5))
    order = [x[0] for x in MUTATIONS]
    allrows = sorted(table.values(), key=lambda r: order.index(r['name']))
    n_caught = sum(r['caught'] for r in allrows)
    lines = ['# Mutation check', '', 'Command: `.venv/bin/python tools/mutation_check.py` (every mutation; `--only NAME ...` reruns '
             'some and keeps the other rows, each dated). Each row changes one line of the package (notebook and module) '
             'and runs the tests that guard it; **caught** means at least one of them failed.', '',
             f'**{n_caught} of {len(allrows)} mutations caught** ({len(MUTATIONS)} defined).', '',
             '| mutation | module | result | failing tests | run on |', '|---|---|---|---|---|']
    lines += [f"| `{r['name']}` | `{r['module']}` | {'caught' if r['caught'] else '**survived**'} | {', '.join(r['by']) or '–'} | {r['date']} |"
              for r in allrows]
    Path(a.out).write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines))
    sys.exit(0 if all(r['caught'] for r in rows) else 1)


if __name__ == '__main__':
    main()
