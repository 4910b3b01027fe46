# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/current.tar.gz

export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export CLAIMS_MODEL := $(CURDIR)/$(MODEL)

.PHONY: run test setup model seed lint unit validate stories e2e lock clean eval nlu-gate

## run: set everything up on first use, then start the assistant (Ctrl-C stops it)
run: setup model seed
	@$(PY) scripts/run_servers.py --model $(MODEL)

## test: every check: lint, unit tests, data validation, training, NLU gate, test stories, browser
test: setup
	@scripts/system_deps.sh
	@$(MAKE) --no-print-directory lint unit validate model nlu-gate stories e2e
	@echo "make test: all checks passed"

setup:
	@scripts/setup.sh

model: setup
	@scripts/train_if_changed.sh >/dev/null

seed: setup
	@$(PY) -m bot seed --if-empty

lint:
	$(VENV)/bin/ruff check bot actions channels components scripts tests

unit:
	$(PY) -m pytest -m "not e2e" -q

validate:
	$(RASA) data validate --domain domain.yml --data data --config config.yml

## nlu-gate: held-out NLU figures against tests/nlu_gate/thresholds.yml, and no held-out text in data
nlu-gate: model
	$(PY) scripts/evaluate_nlu.py --gate

## eval: the full NLU report (held-out set + 5-fold cross-validation; ~3 min): results/nlu/
eval: model
	$(PY) scripts/evaluate_nlu.py --folds 5 --copy docs/nlu-report.md

stories: model
	$(RASA) test core --model $(MODEL) --stories tests/stories \
		--fail-on-prediction-errors --out results/stories

e2e: model
	$(PY) -m pytest -m e2e -q

lock:
	$(PY) -m pip install -r requirements.in
	$(PY) -m pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf models results var
