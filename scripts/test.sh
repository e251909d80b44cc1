#!/usr/bin/env bash
# Runs the whole test suite: unit tests, the integration tests (engine, state,
# CLI on the in-memory cloud; the AWS provider against a moto server that the
# tests install into .venv and start themselves), doc tests, and builds the
# examples.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Reuse a warm target directory outside the clone when the machine has one:
# CI runs in a fresh clone, and the AWS SDK crates take minutes to build cold.
shared="${TAPCTL_SHARED_TARGET:-$HOME/.cache/tapctl/target}"
if [[ -z "${CARGO_TARGET_DIR:-}" && -d "$shared" ]]; then
    export CARGO_TARGET_DIR="$shared"
fi

exec cargo test --locked
