# plate-service: every routine task is one target here. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
IMAGE ?= plate-service
# Empty: the Dockerfile's pinned default; offline: BASE_IMAGE=local/python:3.11-slim.
BASE_IMAGE ?=
PORT ?= 8080
# The image's tag is the package's version (setup.cfg), the one the manifest names.
VERSION := $(shell sed -n 's/^version *= *//p' setup.cfg)
# pip runs again only when what it installs from changes; the stamps live in .venv, so a
# new venv starts without them.
PACKAGING := setup.py setup.cfg constraints.txt
INSTALLED := $(VENV)/.installed
INSTALLED_TRAIN := $(VENV)/.installed-train
# The scanner of the deployment files, in a venv of its own inside .venv: its many
# dependencies never meet the service's pins (constraints.txt).
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := $(VENV)/checkov
CHECKOV_INSTALLED := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)

.PHONY: help venv install install-train run test lint train-ocr eval-ocr train-detector \
        eval-detector eval bench docker-build docker-run docker-smoke docs-images clean \
        constraints scan

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) \
	  | sed $(foreach name,PORT IMAGE VERSION,-e 's/\$$($(name))/$($(name))/g') \
	  | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

venv: $(BIN)/python

$(INSTALLED): $(PACKAGING) | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e '.[test,lint]'
	touch $@

$(INSTALLED_TRAIN): $(INSTALLED)
	$(BIN)/pip install -q -c constraints.txt -e '.[test,lint,train]'
	touch $@

install: $(INSTALLED)  ## install the service and test tools into .venv (versions from constraints.txt)

install-train: $(INSTALLED_TRAIN)  ## add the training extra (CPU torch) to .venv

# .venv holds exactly the new pins, so its stamps stay fresh.
constraints: install-train  ## re-pin constraints.txt to what .venv holds now
	{ sed -n '1,2p' constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -v '^#' \
	  | sed 's/+cpu$$//'; } > constraints.txt.new && mv constraints.txt.new constraints.txt
	touch $(INSTALLED) $(INSTALLED_TRAIN)

run: install  ## run the service on $(PORT) (IMAGE_PROVIDER_URL, PORT, ... from the environment)
	PORT=$(PORT) $(BIN)/python -m plate_service

test: install  ## run the test suite
	$(BIN)/python -m pytest -q

lint: install  ## flake8 + mypy
	$(BIN)/flake8 plate_service training tests bench testkit demo_provider .ci/manifest_docker_args.py
	$(BIN)/mypy

train-ocr: install-train  ## regenerate synthetic data, train the OCR model, export models/ocr, eval
	$(BIN)/python -m training.ocr.train

eval-ocr: install  ## OCR accuracy and speed on ../shared/data (provider + real-dev)
	$(BIN)/python -m training.eval_ocr

train-detector: install-train  ## train the plate detector (the stages of its recipe, ~3.5 h), export models/detector, eval
	$(BIN)/python -m training.detector.train

eval-detector: install  ## detector + full pipeline on ../shared/data/real-dev/scenes
	$(BIN)/python -m training.eval_detector

eval: eval-ocr eval-detector  ## every eval

docker-build:  ## build the image $(IMAGE):$(VERSION) (BASE_IMAGE=local/python:3.11-slim offline)
	docker build $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) -t $(IMAGE):$(VERSION) .

docker-run:  ## run the image on $(PORT)
	docker run --rm -p $(PORT):8080 $(IMAGE):$(VERSION)

clean:  ## remove caches (keeps .venv)
	rm -rf .pytest_cache .mypy_cache build *.egg-info

bench: install  ## benchmarks -> docs/benchmarks.md (several minutes; QUICK=1 for a short run)
	$(BIN)/python -m bench $(if $(QUICK),--quick,)

docs-images: install  ## the docs' pictures: docs/example-car.jpg (CLI --draw), docs/try-it.png (Chromium)
	$(BIN)/python -m training.synth.scene build/docs/example-car.png
	$(BIN)/python -m plate_service read --mode scene --draw docs build/docs/example-car.png
	@command -v chromedriver >/dev/null || { echo "docs/try-it.png needs chromium and chromium-driver"; exit 1; }
	TRY_IT_SCREENSHOT=docs/try-it.png $(BIN)/python -m pytest -q tests/web/test_try_it_browser.py

# -qq: pip's errors only; its warnings about this machine's package indexes run to a
# hundred lines for checkov's hundred dependencies.
$(CHECKOV_INSTALLED):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -qq checkov==$(CHECKOV_VERSION)
	touch $@

scan: $(CHECKOV_INSTALLED)  ## checkov on deploy/kubernetes and the Dockerfile; any finding fails
	$(CHECKOV_VENV)/bin/checkov -d deploy/kubernetes --framework kubernetes --skip-download \
	  --quiet --compact
	$(CHECKOV_VENV)/bin/checkov -f Dockerfile --framework dockerfile --skip-download --quiet \
	  --compact

docker-smoke: install  ## build the image, run it next to a demo provider, check answers
	.ci/docker-smoke
