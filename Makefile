# kp-bench: make targets orchestrate the kp-* tools (see README.md).
# Every seed flag is a variable with the seed's default; the seed's environment variables work too.

# Build configuration of the tools the run targets call (debug: make docs CONFIG=debug).
CONFIG ?= release
SWIFT_BUILD = swift build -c $(CONFIG)
# Where the kp-* tools are (default: swift build's folder for CONFIG).
BIN_DIR ?= $(shell swift build -c $(CONFIG) --show-bin-path)

# The seed's flags, with the seed's defaults (kp-run --help says what each does).
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
SERIES_INTERVAL ?= 5s
OUT ?= out
# watch-fanout: kp-load's watch streams per hot cluster (kp-run --watchers-per-cluster).
WATCHERS ?= 10
# RUN=name: the run's folder under OUT (default: <scenario>-<clusters>). FORCE=1 replaces it.
# SIM=1: run the target on the bundled emulator kp-sim.
RUN ?=
FORCE ?=
SIM ?=
# SEED=n: the run seed that picks the hot clusters (default: random, recorded in run_meta).
# PLAN=1: print the commands the target would start (kp-run --plan) and start nothing.
SEED ?=
PLAN ?=
# Passed to kp-run only when set; empty means kp-run's default (kp-run --help):
# ALLOW_EXISTING=1 (--allow-existing: reuse VCPs an earlier run left on an APISERVER_URL server;
# summary.md then names the per-VCP figures they make wrong), NAME_FORMAT (--name-format),
# MAX_ERROR_PERCENT, MAX_LAG, REQUEST_TIMEOUT, STEP_DEADLINE, SNAPSHOT_RPS_PER_CLUSTER,
# SNAPSHOT_WARM=1, SNAPSHOT_RESOURCES=a,b; SKIP_PREFLIGHT=1 and PREFLIGHT_SWEEP=dir (the pre-flight);
# NO_SCRAPE_COST=1 (--no-scrape-cost: skip the ~2 s burst that measures what a scrape costs the server).
ALLOW_EXISTING ?=
NAME_FORMAT ?=
MAX_ERROR_PERCENT ?=
MAX_LAG ?=
REQUEST_TIMEOUT ?=
STEP_DEADLINE ?=
SNAPSHOT_RPS_PER_CLUSTER ?=
SNAPSHOT_WARM ?=
SNAPSHOT_RESOURCES ?=
SKIP_PREFLIGHT ?=
PREFLIGHT_SWEEP ?=
NO_SCRAPE_COST ?=
# Any other kp-run flags, passed as given after the ones above (RUN_ARGS="--workers 4").
RUN_ARGS ?=
# kp-launch up flags, passed after -- (LAUNCH_ARGS="--pull never", LAUNCH_ARGS=--sim-arg=…).
LAUNCH_ARGS ?=
# Run sets (kp-run --repeat/--load-shards/--sizes/--b-scenario, compare): docs/cli.md.
REPEAT ?=
LOAD_SHARDS ?=
SIZES ?=
# CRDS_PER_CLUSTER=K: K test CRDs per VCP in the bootstrap (kp-bootstrap --crds-per-cluster; default 1).
# CRDS="1 2 4": make sweep-crds's values of K, one run each at CLUSTERS VCPs.
CRDS_PER_CLUSTER ?=
CRDS ?=
THRESHOLDS ?=
# BUDGETS=file: absolute budgets (budgets.example.yaml) for every run of any run target, and for
# make report: a broken error budget exits 7, a broken warning budget is reported (docs/reports.md).
BUDGETS ?=
# The run history (docs/reports.md, "Run history"): HISTORY=file.csv (Apache Otava's CSV layout) or
# HISTORY_DSN=postgresql://user@host:port/db (a table there): every run target appends each complete
# run after its fold (its branch: the environment variable BRANCH). make history gates on it: exit 5 when a change point worse by
# HISTORY_MIN_CHANGE % lies in a series' last HISTORY_LAST runs; make history-show writes HISTORY_HTML.
HISTORY ?=
HISTORY_DSN ?=
HISTORY_MIN_CHANGE ?= 5
HISTORY_LAST ?= 10
HISTORY_CONFIG ?= history/otava.yaml
HISTORY_HTML ?= $(OUT)/history.html
A ?=
B ?=
A_BIN ?=
B_BIN ?=
A_SIM_ARGS ?=
B_SIM_ARGS ?=
B_SCENARIO ?=
# make demo: the seed's bootstrap scenario on kp-sim with short phases.
DEMO_CLUSTERS ?= 50
DEMO_WARMUP ?= 5s
DEMO_SETTLE ?= 5s
DEMO_STEADY ?= 10s
# make install: where the release-built tools go (PREFIX/bin; DESTDIR prefixes it for packaging).
PREFIX ?= /usr/local
DESTDIR ?=
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
	$(if $(ALLOW_EXISTING),--allow-existing) $(if $(NAME_FORMAT),--name-format $(NAME_FORMAT)) \
	$(if $(NO_SCRAPE_COST),--no-scrape-cost) $(if $(CRDS_PER_CLUSTER),--crds-per-cluster $(CRDS_PER_CLUSTER)) \
	$(if $(BUDGETS),--budgets "$(BUDGETS)") \
	$(if $(HISTORY),--history "$(HISTORY)") $(if $(HISTORY_DSN),--history-dsn "$(HISTORY_DSN)") \
	$(if $(MAX_ERROR_PERCENT),--max-error-percent $(MAX_ERROR_PERCENT)) $(if $(MAX_LAG),--max-lag $(MAX_LAG)) \
	$(if $(REQUEST_TIMEOUT),--request-timeout $(REQUEST_TIMEOUT)) $(if $(STEP_DEADLINE),--step-deadline $(STEP_DEADLINE)) \
	$(if $(SNAPSHOT_RPS_PER_CLUSTER),--snapshot-rps-per-cluster $(SNAPSHOT_RPS_PER_CLUSTER)) \
	$(if $(SNAPSHOT_WARM),--snapshot-warm) $(if $(SNAPSHOT_RESOURCES),--snapshot-resources $(SNAPSHOT_RESOURCES)) \
	$(if $(filter watch-fanout,$(SCENARIO)),--watchers-per-cluster $(WATCHERS))
# NO_BUILD=1 skips the build step (the tests run make from inside swift test, which holds the build folder).
NO_BUILD ?=
BUILD_DEP = $(if $(NO_BUILD),,build)
# kp-run (Sources/kp-run) validates every flag, then sequences the tools; make only passes variables.
KP_RUN = "$(BIN_DIR)/kp-run" --bin-dir "$(BIN_DIR)" $(RUN_FLAGS)
# The end of every kp-run command: RUN_ARGS last among kp-run's flags (so they win), then kp-launch's.
RUN_TAIL = $(RUN_ARGS) -- $(LAUNCH_ARGS)

.PHONY: all help deps deps-test build install test test-e2e demo run report history history-show sweep sweep-crds capacity knee observe compare compare-bins bench-http bench-load bench-saturation bench-report \
	fuzz fault-matrix docs lint fmt clean report-check \
	bootstrap-200 bootstrap-500 bootstrap-1000 bootstrap-2000 \
	mixed-hot-200 mixed-hot-1000 mixed-uniform-200 mixed-uniform-1000

# The default target: build the tools.
all: build

# This list: every target and variable, from the Makefile's own comments and defaults (scripts/make-help.sh).
help:
	@scripts/make-help.sh "$(firstword $(MAKEFILE_LIST))"

# The Debian packages the build needs (libcurl and zlib headers), as root or with sudo.
deps:
	scripts/install-deps.sh build

# The packages the tests need besides (etcd, go, nghttp2, chromium, kubectl, kubernetes-validate).
deps-test:
	scripts/install-deps.sh test

# Build the tools (CONFIG=release by default) into BIN_DIR.
build: deps
	$(SWIFT_BUILD)

# Release-built tools into PREFIX/bin: make install PREFIX=/opt/kp-bench. kp-run finds the other
# tools beside itself, so they stay together.
INSTALL_TOOLS = kp-run kp-launch kp-bootstrap kp-scrape kp-load kp-report kp-sim
install: deps
	swift build -c release
	install -d "$(DESTDIR)$(PREFIX)/bin"
	@bin=$$(swift build -c release --show-bin-path) && for t in $(INSTALL_TOOLS); do \
		echo "install -m 0755 $$bin/$$t $(DESTDIR)$(PREFIX)/bin/$$t"; \
		install -m 0755 "$$bin/$$t" "$(DESTDIR)$(PREFIX)/bin/$$t" || exit 1; done

# The README's test command: unit, integration and end-to-end tests (debug build). The suites tagged
# .timing (they time answers or starve a CPU on purpose) run alone, one test at a time; every other
# suite runs in TEST_JOBS test processes side by side (scripts/test.sh). TEST_FILTER=regex picks suites.
# On 2 cores: about 6 minutes of tests, after a build that takes about 9 minutes from a clean clone.
TEST_JOBS ?= 3
TEST_FILTER ?=
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
SWIFT_FORMAT_CHECK = v=$$(swift format --version 2>/dev/null); [ "$$v" = "$(SWIFT_FORMAT_VERSION)" ] || { \
	echo "$@: swift-format $(SWIFT_FORMAT_VERSION) (from the Swift $(SWIFT_FORMAT_VERSION) toolchain) is needed, found '$$v': install that toolchain, or raise SWIFT_FORMAT_VERSION and reformat" >&2; exit 2; }
lint:
	@$(SWIFT_FORMAT_CHECK)
	swift format lint --strict --recursive --parallel $(LINT_PATHS)

# Rewrite LINT_PATHS in place with the same pinned swift-format and .swift-format that make lint checks.
fmt:
	@$(SWIFT_FORMAT_CHECK)
	swift format format --in-place --recursive --parallel $(LINT_PATHS)

# The main job on the bundled emulator, with short phases: a complete report in under a minute (after the build).
demo: $(BUILD_DEP)
	$(KP_RUN) --scenario bootstrap --sim --run demo --force --clusters $(DEMO_CLUSTERS) --warmup $(DEMO_WARMUP) \
		--post-bootstrap-settle $(DEMO_SETTLE) --steady-wait $(DEMO_STEADY) --series-interval 1s $(RUN_TAIL)

# Any scenario with the variables above: make run SCENARIO=mixed-hot CLUSTERS=100
run: $(BUILD_DEP)
	$(KP_RUN) --scenario $(SCENARIO) $(RUN_TAIL)

# Fold a run directory (or a repeat set) into its report again, without re-running: make report RUN=out/x
report: $(BUILD_DEP)
	"$(BIN_DIR)/kp-report" fold "$(RUN)" $(if $(BUDGETS),--budgets "$(BUDGETS)")
$(if $(filter report,$(MAKECMDGOALS)),$(if $(RUN),,$(error make report needs the run directory: make report RUN=out/<run>)))

# One run (or REPEAT runs) per size, then the fit: make sweep SCENARIO=bootstrap SIZES="50 100 200 400"
sweep: $(BUILD_DEP)
	$(KP_RUN) --scenario $(SCENARIO) --sizes "$(SIZES)" $(RUN_TAIL)

# One run per CRDs-per-VCP K at CLUSTERS VCPs, then the fit: the cost per CRD per VCP.
# make sweep-crds SCENARIO=bootstrap CLUSTERS=50 CRDS="1 2 4"
sweep-crds: $(BUILD_DEP)
	$(KP_RUN) --scenario $(SCENARIO) --crd-sweep "$(CRDS)" $(RUN_TAIL)

# kp-report capacity: the VCPs that fit a ControlPlaneShard, from a sweep (and a mixed-* run as the hot class).
# SWEEP=the sweep's folder; SHARD=cpu=8,memory=16Gi[,maxControlPlanes=500] or SHARD_FILE=a ControlPlaneShard
# manifest; LOADED=mixed-* run or sweep; CAPACITY_TARGET, HARD_STOP (percent), MIX=idle=90,hot=10, FOR=N.
SWEEP ?=
SHARD ?=
SHARD_FILE ?=
LOADED ?=
CAPACITY_TARGET ?= 80%
HARD_STOP ?= 90%
MIX ?=
FOR ?=

# VCPs per shard from a sweep: make capacity SWEEP=out/bootstrap-sweep SHARD=cpu=8,memory=16Gi [LOADED=out/mixed-hot-200]
capacity: $(BUILD_DEP)
	"$(BIN_DIR)/kp-report" capacity "$(SWEEP)" $(if $(SHARD),--shard $(SHARD)) $(if $(SHARD_FILE),--shard-file "$(SHARD_FILE)") \
		$(if $(LOADED),--loaded "$(LOADED)") --target $(CAPACITY_TARGET) --hard-stop $(HARD_STOP) \
		$(if $(MIX),--mix $(MIX)) $(if $(FOR),--for $(FOR))
$(if $(filter capacity,$(MAKECMDGOALS)),$(if $(SWEEP),,$(error make capacity needs the sweep folder: make capacity SWEEP=out/<scenario>-sweep SHARD=cpu=8,memory=16Gi)))

# The knee of the load: the load phase of a mixed-* scenario at rising total rates, each step for
# KNEE_STEP_DURATION, stopping at the first that breaks the SLO (KNEE_P99, KNEE_MAX_ERROR_PERCENT: kp-load's
# defaults 50ms and 1 when unset) or saturates the target (docs/load.md, "The knee"):
# make knee SCENARIO=mixed-hot CLUSTERS=200 KNEE_STEPS=geometric:100:3200:6 KNEE_STEP_DURATION=30s
# KNEE_STEPS: 200,400,800 | linear:FROM:TO:COUNT | geometric:FROM:TO:COUNT (total ops/s over the hot VCPs).
KNEE_STEPS ?=
KNEE_STEP_DURATION ?= 30s
KNEE_P99 ?=
KNEE_MAX_ERROR_PERCENT ?=
KNEE_SCENARIO = $(if $(filter file default,$(origin SCENARIO)),mixed-hot,$(SCENARIO))
knee: $(BUILD_DEP)
	$(KP_RUN) --scenario $(KNEE_SCENARIO) --knee-steps "$(KNEE_STEPS)" --load-duration $(KNEE_STEP_DURATION) \
		$(if $(KNEE_P99),--knee-p99 $(KNEE_P99)) $(if $(KNEE_MAX_ERROR_PERCENT),--knee-max-error-percent $(KNEE_MAX_ERROR_PERCENT)) \
		$(RUN_TAIL)
$(if $(filter knee,$(MAKECMDGOALS)),$(if $(KNEE_STEPS),,$(error make knee needs the rates: make knee KNEE_STEPS=geometric:100:3200:6 (or a list or linear:FROM:TO:COUNT; docs/load.md))))

# The run history's change points (Apache Otava), and the nightly gate: exit 5 when one is worse by
# HISTORY_MIN_CHANGE % or more in a series' last HISTORY_LAST runs. make history HISTORY=results/history.csv
HISTORY_STORE = $(if $(HISTORY_DSN),--dsn "$(HISTORY_DSN)",--history "$(HISTORY)")
history: $(BUILD_DEP)
	"$(BIN_DIR)/kp-report" history check $(HISTORY_STORE) --config "$(HISTORY_CONFIG)" \
		--min-change $(HISTORY_MIN_CHANGE) --last $(HISTORY_LAST)

# history.html: a trend chart per figure over commits, change points marked, each run linked.
history-show: $(BUILD_DEP)
	"$(BIN_DIR)/kp-report" history show $(HISTORY_STORE) --config "$(HISTORY_CONFIG)" --out "$(HISTORY_HTML)"
$(if $(filter history history-show,$(MAKECMDGOALS)),$(if $(HISTORY)$(HISTORY_DSN),,$(error make history needs the history: make history HISTORY=file.csv or HISTORY_DSN=postgresql://…)))

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
		$(if $(THRESHOLDS),--thresholds $(THRESHOLDS)) $(RUN_TAIL)

# <scenario>-<N> for any N. make skips pattern rules for .PHONY targets, so the seed's sizes get a
# static pattern rule (phony: a stray file named bootstrap-200 cannot shadow them) and any other N
# the plain pattern rule; both use the same recipe.
SCENARIO_RUN = $(KP_RUN) --scenario $(1) --clusters $(2) $(if $(RUN),,--run $(1)-$(2)) $(RUN_TAIL)
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
		$(if $(RUN),,--run watch-fanout-$*) $(RUN_TAIL)

# kplane-only: after the steady sample, CHURN_CYCLES cycles (kp-run's default 5, at least 2) that each delete
# CHURN_PERCENT of the VCPs (default 20) as teardown does and create as many new ones, with a sample per
# cycle; ## Churn fits heap, RSS and goroutines per cycle and per churned VCP (docs/scenarios.md).
CHURN_CYCLES ?=
CHURN_PERCENT ?=
churn-%: $(BUILD_DEP)
	$(KP_RUN) --scenario churn --clusters $* $(if $(CHURN_CYCLES),--churn-cycles $(CHURN_CYCLES)) \
		$(if $(CHURN_PERCENT),--churn-percent $(CHURN_PERCENT)) $(if $(RUN),,--run churn-$*) $(RUN_TAIL)

# kplane-only: after the steady sample, the target restarted keeping its storage (the same etcd and prefix;
# docker: the apiserver container restarted; url mode is refused), a sample at readyz before any VCP is
# touched, every VCP's first request at WORKERS concurrency, a settle, a sample: ## Restart (contract §3.1).
restart-%: $(BUILD_DEP)
	$(call SCENARIO_RUN,restart,$*)

# A server watched for DURATION, creating nothing: samples with pprof at the start and end, the series every
# SERIES_INTERVAL. A live server that something else loads: make observe APISERVER_URL=https://host:port
# TOKEN_FILE=… CA_FILE=… DURATION=10m; in the other modes the clean server kp-run starts (make observe SIM=1
# DURATION=1m: an idle kp-sim, whose endpoint.json in the run directory lets you load it meanwhile).
DURATION ?= 10m
observe: $(BUILD_DEP)
	$(KP_RUN) --scenario observe --observe-duration $(DURATION) $(RUN_TAIL)

# The seed's scenarios at any size N (make bootstrap-200, mixed-hot-1000, mixed-uniform-37); the run is
# named <scenario>-<N> unless RUN is set.
bootstrap-%: $(BUILD_DEP)
	$(call SCENARIO_RUN,bootstrap,$*)
mixed-hot-%: $(BUILD_DEP)
	$(call SCENARIO_RUN,mixed-hot,$*)
mixed-uniform-%: $(BUILD_DEP)
	$(call SCENARIO_RUN,mixed-uniform,$*)

# The libcurl client against a bare libcurl loop and h2load (figures, not a test; docs/http-client.md).
bench-http:
	scripts/bench-http.sh

# The highest rate kp-load sustains, and its CPU per request beside hey's and bare libcurl's (docs/load.md).
bench-load:
	scripts/bench-load.sh

# kp-load against a server at 2.5× its capacity (kp-sim --sim-max-concurrency): CPU per request
# beside the unloaded run's, and the verdict (docs/load.md, "Where a request waits").
bench-saturation:
	scripts/bench-saturation.sh

# kp-report's fold speed (MB/s, best of 3) on every committed run under results/, each re-fold checked
# byte for byte against the committed report (docs/reports.md); BENCH_RUNS="mixed-hot-200 …" picks runs.
BENCH_RUNS ?=
bench-report:
	scripts/bench-report.sh $(BENCH_RUNS)

# Longer fuzzing of the parsers than the tests do.
fuzz:
	scripts/fuzz-parsers.sh

# Every fault (crash, stall, 429/5xx bursts, resets, bad /metrics, failing pprof, etcd killed, SIGINT,
# SIGTERM) in every phase on kp-sim; prints the fault × phase table (docs/faults.md). About 15 minutes.
# FAULT_CELLS=crash:bootstrap,sigint:warmup runs a subset; debug build, as the tests use.
FAULT_BIN_DIR ?= $(shell swift build --show-bin-path)
FAULT_CELLS ?=
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

# Remove the build folder and every run under out/.
clean:
	rm -rf .build out
