# sohoa: `make demo` and `make test` work on a fresh Debian/Ubuntu machine with Python 3.11.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := tesseract-ocr tesseract-ocr-vie tesseract-ocr-script-viet \
	fonts-dejavu-core fonts-noto-core fonts-liberation2 fonts-freefont-ttf \
	fonts-sil-andika fonts-sil-charis fonts-sil-gentiumplus fonts-seto \
	fonts-breip fonts-bwht fonts-ecolier-court fonts-humor-sans fonts-kristi \
	fonts-kaushanscript fonts-comic-neue fonts-rufscript \
	chromium chromium-driver poppler-utils libreoffice-calc-nogui
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export TRANSFORMERS_OFFLINE := 1
WORKSPACE ?= demo-workspace

.PHONY: setup system-packages venv demo test test-slow bench lint clean

setup: system-packages $(VENV)/.installed

system-packages:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "system packages: all present"; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing system packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
		echo "Missing system packages. Run:"; echo "  sudo apt-get install -y $$missing"; exit 1; \
	fi

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -e ".[dev,cluster,train]"
	touch $@

demo: setup
	$(BIN)/sohoa demo --workspace $(WORKSPACE)

test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

test-slow: setup
	$(BIN)/python -m pytest -q -m slow

bench: setup
	$(BIN)/python benchmarks/run_all.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
