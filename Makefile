# The two commands of the README: `make dev` runs the local stack, `make test` runs every test.
.PHONY: dev test fuzz sim bench build release lint fmt

dev:
	scripts/dev.sh

test:
	scripts/test.sh

# schemathesis against the local stack, from openapi.yaml (FUZZ_EXAMPLES per operation, default 100).
fuzz:
	scripts/fuzz.sh

# The seeded simulation, long: SEEDS (100) seeds of OPS (2000) steps over the fakes; SEED=n one seed,
# STEPS=a,b,c only those steps of it; DYNAMODB=1 in lockstep over DynamoDB Local as well.
sim:
	scripts/sim.sh

# Latency against the floor, capacity and cost, binaries' size, start-up and memory: bench/report.md.
bench:
	scripts/bench.sh

build:
	cargo build --workspace

# The Lambda binaries as AWS runs them (needs `pip install cargo-lambda`): the functions only, so that the
# tools' dependencies and features stay out of them.
FUNCTIONS := $(notdir $(wildcard functions/*))
release:
	cargo lambda build --release --arm64 $(addprefix -p ,$(FUNCTIONS))

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	.cache/venv/bin/cfn-lint template.yaml

fmt:
	cargo fmt --all
