# Fresh machine: `make run` (install + main job) and `make test` (install + every test).
# Everything installs into ./.venv; torch/torchvision are pinned to the pair that runs here and installed first,
# so no other requirement can pull a multi-GB newer torch.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PRESET ?= cpu
OUT    ?= runs/$(PRESET)
TORCH  := torch==2.14.1 torchvision==0.29.1
EMOPIA ?= ../shared/data/emopia_dev/manifest.csv
export HF_HUB_OFFLINE := 1
export MPLBACKEND := Agg
export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba
export DISTILLED_VIT_CACHE ?= $(CURDIR)/.cache/features

.PHONY: run test test-deps lab docs install install-dev sync-check nbtest pytest clean-nbs export benchmark benchmark-all mutation-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

## [mobile] (ExecuTorch): make run writes the phone programs (.pte) the README lists.
## basic-pitch only for its 230 KB ONNX note transcriber (harmony=true, 01b_harmony): --no-deps, since its
## requirements pin tensorflow, which the ONNX file does not need (the package itself is never imported).
## musicnn only for its MSD_musicnn checkpoint (01c_musicnn reads it without TensorFlow): --no-deps, since its
## requirements ask for tensorflow and numpy < 1.17, which the checkpoint does not need (never imported either)
$(VENV)/.installed: $(BIN)/python settings.ini setup.py
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e ".[mobile]" $(TORCH)
	$(BIN)/pip install -q --no-deps basic-pitch==0.4.0
	$(BIN)/pip install -q --no-deps musicnn==0.1.0
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -q -e ".[dev,mobile]" $(TORCH)
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev web/node_modules/.installed

## onnxruntime-web for the browser demo, pinned in web/package-lock.json (vendored into the docs site)
web/node_modules/.installed: web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

## The main job: the whole pipeline on the embedded default data (cpu preset, ~19 min on 2 cores, benchmarks/results/pipeline_cpu.md;
## ~8 min into a fresh --out once the teacher is in the stage cache, pipeline_cpu_warm.md)
run: install
	$(BIN)/distilled-vit run --preset $(PRESET) --out $(OUT)

## Every test: notebooks and library in sync, every notebook, pytest, the docs site.
## The docs build executes every notebook exactly as nbdev_test does (IN_TEST set, `#| slow` and `eval: false` cells
## skipped, a fresh process each, failing on the first error): that run *is* the notebook test run, so the notebooks
## are not executed a second time here (`make nbtest` runs nbdev_test alone). tools/run_tests.sh runs the docs check
## and pytest (two workers) side by side, each process on one torch thread.
test: install-dev test-deps
	bash tools/sync_check.sh
	bash tools/run_tests.sh

## Debian packages the tests run beside Python: headless Chromium (the browser demo) and the encoders and reference
## decoders of tests/test_real_world_audio.py (PKG:COMMAND where the command is named otherwise). Installed with
## apt-get where missing and root; otherwise make test stops, saying what to install.
TEST_DEBS := chromium lame mpg123 flac sox opus-tools:opusenc
test-deps:
	bash tools/debian_deps.sh $(TEST_DEBS)

nbtest: install-dev
	$(BIN)/nbdev_test --n_workers 1 --timing

sync-check: install-dev
	bash tools/sync_check.sh

## Step through the notebooks
lab: install-dev
	$(BIN)/jupyter lab nbs

## Build the documentation site offline (nbdev_proc_nbs + smalldocs); uses Quarto's nbdev_docs where installed
docs: install-dev
	bash tools/docs.sh

## Clean and export after editing notebooks (run before every commit)
export: install-dev
	$(BIN)/nbdev_clean && $(BIN)/nbdev_export && $(BIN)/python tools/make_readme.py

## Heavy numbers live here, not in tests: results tables in benchmarks/results/ (commit them)
## (about 45 minutes on 2 cores; the distillation recipe (~35 min + ~6 min on real music), teacher recipe (~20 min)
##  and GAN A/B (~55 min) run only on request: make benchmark-all)
benchmark: install-dev
	$(BIN)/python benchmarks/pipeline.py --preset smoke
	$(BIN)/python benchmarks/pipeline.py --preset cpu
	$(BIN)/python benchmarks/pipeline.py --preset cpu --set gan=true --name pipeline_cpu_gan
	$(BIN)/python benchmarks/latency.py --preset cpu --threads 1 2
	$(BIN)/python benchmarks/gan_budget.py --preset cpu --epochs 20 40
	$(BIN)/python benchmarks/narrative.py --presets smoke cpu

benchmark-all: benchmark
	$(BIN)/python benchmarks/kd_recipe.py --preset cpu --seeds 0 1 2
	if [ -f $(EMOPIA) ]; then $(BIN)/python benchmarks/kd_recipe.py --preset cpu --seeds 0 --data $(EMOPIA) --name kd_recipe_emopia; fi
	$(BIN)/python benchmarks/teacher_recipe.py
	nice $(BIN)/python benchmarks/gan_ab.py --preset cpu --seeds 0 1 2 --set teacher_arch=vit_tiny_patch16_224 teacher_stem=patch teacher_epochs=4 --quality

## Would the tests catch plausible one-line bugs? (on demand, ~20 min; table in benchmarks/results/mutation_check.md)
mutation-check: install-dev
	$(BIN)/python tools/mutation_check.py
