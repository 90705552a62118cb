# kp-bench: make targets orchestrate the kp-* tools (see README.md).
# Every seed flag is a variable with the seed's default; the seed's environment variables work too.

CONFIG ?= release
SWIFT_BUILD = swift build -c $(CONFIG)
BIN_DIR ?= $(shell swift build -c $(CONFIG) --show-bin-path)

SCENARIO ?= bootstrap
CLUSTERS ?= 200
WORKERS ?= 12
WARMUP ?= 30s
POST_BOOTSTRAP_SETTLE ?= 15s
STEADY_WAIT ?= 90s
LOAD_DURATION ?= 2m
HOT_PERCENT ?= 10
WRITE_RPS_PER_CLUSTER ?= 5
READ_RPS_PER_CLUSTER ?= 20
OBJECT_BYTES ?= 1024
# watch-fanout: kp-load's watch streams per hot cluster (kp-run --watchers-per-cluster).
WATCHERS ?= 10
SERIES_INTERVAL ?= 5s
OUT ?= out
RUN ?=
FORCE ?=
SIM ?=
# SEED=n: the run seed that picks the hot clusters (default: random, recorded in run_meta).
# PLAN=1: print the commands the target would start (kp-run --plan) and start nothing.
SEED ?=
PLAN ?=
# Run sets (kp-run --repeat/--load-shards/--sizes, compare): docs/cli.md.
REPEAT ?=
LOAD_SHARDS ?=
SIZES ?=
THRESHOLDS ?=
A ?=
B ?=
A_BIN ?=
B_BIN ?=
A_SIM_ARGS ?=
B_SIM_ARGS ?=
# make demo: the seed's bootstrap scenario on kp-sim with short phases.
DEMO_CLUSTERS ?= 50
DEMO_WARMUP ?= 5s
DEMO_SETTLE ?= 5s
DEMO_STEADY ?= 10s
LAUNCH_ARGS ?=
# Target selection, as in the seed: APISERVER_BIN / APISERVER_DIR (+ ETCD_ENDPOINTS), APISERVER_URL,
# APISERVER_IMAGE / COMPOSE_FILE (docker mode, the default). Exported so kp-launch sees them.
# (KUBECONFIG is not among them: kp-launch reads a kubeconfig only when --kubeconfig names it.)
export APISERVER_BIN APISERVER_DIR ETCD_ENDPOINTS APISERVER_URL APISERVER_IMAGE COMPOSE_FILE TOKEN_FILE CA_FILE

RUN_FLAGS = --clusters $(CLUSTERS) --workers $(WORKERS) --warmup $(WARMUP) \
	--post-bootstrap-settle $(POST_BOOTSTRAP_SETTLE) --steady-wait $(STEADY_WAIT) \
	--load-duration $(LOAD_DURATION) --hot-percent $(HOT_PERCENT) \
	--write-rps-per-cluster $(WRITE_RPS_PER_CLUSTER) --read-rps-per-cluster $(READ_RPS_PER_CLUSTER) \
	--object-bytes $(OBJECT_BYTES) --series-interval $(SERIES_INTERVAL) --out $(OUT) \
	$(if $(RUN),--run $(RUN)) $(if $(FORCE),--force) $(if $(SIM),--sim) $(if $(SKIP_PREFLIGHT),--skip-preflight) \
	$(if $(PREFLIGHT_SWEEP),--preflight-sweep $(PREFLIGHT_SWEEP)) \
	$(if $(SEED),--seed $(SEED)) $(if $(PLAN),--plan) \
	$(if $(REPEAT),--repeat $(REPEAT)) $(if $(LOAD_SHARDS),--load-shards $(LOAD_SHARDS)) \
	$(if $(filter watch-fanout,$(SCENARIO)),--watchers-per-cluster $(WATCHERS))
# NO_BUILD=1 skips the build step (the tests run make from inside swift test, which holds the build folder).
BUILD_DEP = $(if $(NO_BUILD),,build)
# kp-run (Sources/kp-run) validates every flag, then sequences the tools; make only passes variables.
KP_RUN = "$(BIN_DIR)/kp-run" --bin-dir "$(BIN_DIR)" $(RUN_FLAGS)

.PHONY: all deps deps-test build test test-e2e demo run sweep compare compare-bins bench-http bench-load fuzz fault-matrix docs lint clean report-check \
	bootstrap-200 bootstrap-500 bootstrap-1000 bootstrap-2000 \
	mixed-hot-200 mixed-hot-1000 mixed-uniform-200 mixed-uniform-1000

all: build

deps:
	scripts/install-deps.sh build

deps-test:
	scripts/install-deps.sh test

build: deps
	$(SWIFT_BUILD)

# The README's test command: unit, integration and end-to-end tests (debug build). The suites tagged
# .timing (they time answers or starve a CPU on purpose) run alone, one test at a time; every other
# suite runs in TEST_JOBS test processes side by side (scripts/test.sh). TEST_FILTER=regex picks suites.
TEST_JOBS ?= 3
test: deps-test
	swift build --build-tests
	TEST_JOBS=$(TEST_JOBS) scripts/test.sh

# The end-to-end suites only: the built tools run as a user runs them (help, bad input, whole runs and
# faults on kp-sim).
test-e2e: deps-test
	swift build --build-tests
	TEST_JOBS=$(TEST_JOBS) TEST_FILTER='^CLITests\.' scripts/test.sh

# Style: swift-format with the checked-in .swift-format; fails on any finding (--strict: warnings too).
# swift-format is not in the offline package set, so this is the copy that ships with the Swift
# toolchain (`swift format`), pinned by checking its version: another version formats differently.
SWIFT_FORMAT_VERSION = 6.3.1
LINT_PATHS ?= Sources Tests Package.swift
lint:
	@v=$$(swift format --version 2>/dev/null); [ "$$v" = "$(SWIFT_FORMAT_VERSION)" ] || { \
		echo "lint: swift-format $(SWIFT_FORMAT_VERSION) (from the Swift $(SWIFT_FORMAT_VERSION) toolchain) is needed, found '$$v': install that toolchain, or raise SWIFT_FORMAT_VERSION and reformat" >&2; exit 2; }
	swift format lint --strict --recursive --parallel $(LINT_PATHS)

# The main job on the bundled emulator, with short phases: a complete report in about a minute.
demo: $(BUILD_DEP)
	$(KP_RUN) --scenario bootstrap --sim --run demo --force --clusters $(DEMO_CLUSTERS) --warmup $(DEMO_WARMUP) \
		--post-bootstrap-settle $(DEMO_SETTLE) --steady-wait $(DEMO_STEADY) --series-interval 1s -- $(LAUNCH_ARGS)

# Any scenario with the variables above: make run SCENARIO=mixed-hot CLUSTERS=100
run: $(BUILD_DEP)
	$(KP_RUN) --scenario $(SCENARIO) -- $(LAUNCH_ARGS)

# One run (or REPEAT runs) per size, then the fit: make sweep SCENARIO=bootstrap SIZES="50 100 200 400"
sweep: $(BUILD_DEP)
	$(KP_RUN) --scenario $(SCENARIO) --sizes "$(SIZES)" -- $(LAUNCH_ARGS)

# Two sets of finished runs side by side: make compare A="out/a/r1 out/a/r2" B="out/b" [THRESHOLDS=file]
compare: $(BUILD_DEP)
	"$(BIN_DIR)/kp-report" compare --out $(OUT)/compare $(if $(THRESHOLDS),--thresholds $(THRESHOLDS)) $(A) -- $(B)

# Two targets interleaved A, B, A, B …, then compare: make compare-bins A_BIN=… B_BIN=… SCENARIO=… CLUSTERS=… REPEAT=5
# (with SIM=1: A_SIM_ARGS="--sim-vcp-memory-bytes=2097152" B_SIM_ARGS="…", two kp-sim settings).
# Two scenarios on one target: make compare-bins SCENARIO=bootstrap B_SCENARIO=fleet-bootstrap CLUSTERS=200 REPEAT=5.
compare-bins: $(BUILD_DEP)
	$(KP_RUN) --compare --scenario $(SCENARIO) $(if $(A_BIN),--a-bin "$(A_BIN)") $(if $(B_BIN),--b-bin "$(B_BIN)") \
		$(if $(B_SCENARIO),--b-scenario $(B_SCENARIO)) \
		$(if $(A_SIM_ARGS),--a-sim-args "$(A_SIM_ARGS)") $(if $(B_SIM_ARGS),--b-sim-args "$(B_SIM_ARGS)") \
		$(if $(THRESHOLDS),--thresholds $(THRESHOLDS)) -- $(LAUNCH_ARGS)

# <scenario>-<N> for any N. make skips pattern rules for .PHONY targets, so the seed's sizes get a
# static pattern rule (phony: a stray file named bootstrap-200 cannot shadow them) and any other N
# the plain pattern rule; both use the same recipe.
SCENARIO_RUN = $(KP_RUN) --scenario $(1) --clusters $(2) $(if $(RUN),,--run $(1)-$(2)) -- $(LAUNCH_ARGS)
SEED_RUNS = bootstrap-200 bootstrap-500 bootstrap-1000 bootstrap-2000 \
	mixed-hot-200 mixed-hot-1000 mixed-uniform-200 mixed-uniform-1000

$(filter bootstrap-%,$(SEED_RUNS)): bootstrap-%: $(BUILD_DEP)
	$(call SCENARIO_RUN,bootstrap,$*)
$(filter mixed-hot-%,$(SEED_RUNS)): mixed-hot-%: $(BUILD_DEP)
	$(call SCENARIO_RUN,mixed-hot,$*)
$(filter mixed-uniform-%,$(SEED_RUNS)): mixed-uniform-%: $(BUILD_DEP)
	$(call SCENARIO_RUN,mixed-uniform,$*)
# kplane-only: the VCPs made server-side by one Fleet (contract §3.3), then the seed's per-VCP steps.
fleet-bootstrap-%: $(BUILD_DEP)
	$(call SCENARIO_RUN,fleet-bootstrap,$*)
# kplane-only: after the steady sample, delete each VCP's data (contract §3.5), settle, sample again.
teardown-%: $(BUILD_DEP)
	$(call SCENARIO_RUN,teardown,$*)
# kplane-only: warm each VCP's snapshot once (first-warm cost per VCP), then snapshot reads under load (contract §2.3).
snapshot-%: $(BUILD_DEP)
	$(call SCENARIO_RUN,snapshot,$*)

# kplane-only: mixed-hot's writers without, then with, WATCHERS watch streams per hot cluster (contract §8.2).
watch-fanout-%: $(BUILD_DEP)
	$(KP_RUN) --scenario watch-fanout --watchers-per-cluster $(WATCHERS) --clusters $* \
		$(if $(RUN),,--run watch-fanout-$*) -- $(LAUNCH_ARGS)

bootstrap-%: $(BUILD_DEP)
	$(call SCENARIO_RUN,bootstrap,$*)
mixed-hot-%: $(BUILD_DEP)
	$(call SCENARIO_RUN,mixed-hot,$*)
mixed-uniform-%: $(BUILD_DEP)
	$(call SCENARIO_RUN,mixed-uniform,$*)

bench-http:
	scripts/bench-http.sh

bench-load:
	scripts/bench-load.sh

fuzz:
	scripts/fuzz-parsers.sh

# Every fault (crash, stall, 429/5xx bursts, resets, bad /metrics, failing pprof, etcd killed, SIGINT,
# SIGTERM) in every phase on kp-sim; prints the fault × phase table (docs/faults.md). About 15 minutes.
# FAULT_CELLS=crash:bootstrap,sigint:warmup runs a subset; debug build, as the tests use.
FAULT_BIN_DIR ?= $(shell swift build --show-bin-path)
fault-matrix:
	$(if $(NO_BUILD),,swift build)
	scripts/fault-matrix.sh --bin-dir "$(FAULT_BIN_DIR)" $(if $(FAULT_CELLS),--only $(FAULT_CELLS))

# Renders report.html of a kp-sim run (a copy of results/mixed-hot-200, re-folded) in headless Chromium
# and checks it: loaded, no console message, no request, every chart drew data (scripts/report-check.sh).
# REPORT_RUN=out/<run> checks another run directory; REPORT_PNG=file keeps the screenshot.
# REPORT_PAGE=compare|sweep checks kp-report's compare.html / sweep.html of the committed results instead.
REPORT_RUN ?=
REPORT_PNG ?=
REPORT_PAGE ?= report
REPORT_BIN_DIR ?= $(shell swift build --show-bin-path)
report-check:
	$(if $(NO_BUILD),,swift build --product kp-report)
	scripts/report-check.sh --bin-dir "$(REPORT_BIN_DIR)" --page $(REPORT_PAGE) $(if $(REPORT_RUN),--run-dir $(REPORT_RUN)) $(if $(REPORT_PNG),--png $(REPORT_PNG))

# docs/cli-reference.md from every tool's --help (a test keeps it in step with the tools).
docs:
	swift build
	scripts/gen-cli-docs.sh --bin-dir "$$(swift build --show-bin-path)"

clean:
	rm -rf .build out
