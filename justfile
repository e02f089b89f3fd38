# Recipes for the plugin host. `just` alone lists them.

# Where cargo puts its builds: `CARGO_TARGET_DIR` if set, as cargo itself does.
target := env_var_or_default("CARGO_TARGET_DIR", "target")
component_guest := target / "wasm32-wasip2/release/guest.wasm"
legacy_guest := target / "wasm32-wasip2/release/legacy_guest.wasm"
core_plugin := target / "wasm32-wasip1/release/core_plugin.wasm"
core_calc := target / "wasm32-unknown-unknown/release/core_calc.wasm"
core_toolbox := target / "wasm32-unknown-unknown/release/core_toolbox.wasm"

# List the recipes.
default:
    @just --list

# Install the wasm targets the guests are built for (a no-op when they are there).
setup:
    rustup target add wasm32-wasip2 wasm32-wasip1 wasm32-unknown-unknown

# Build every guest: the contract's plugins (0.1.1 and 0.1.0), the greeter (another world), the bot plugin, the core-module plugin and the linked pair.
guests: setup
    cargo build --release --locked --target wasm32-wasip2 -p guest -p legacy-guest -p greeter-guest -p bot-plugin
    cargo build --release --locked --target wasm32-wasip1 -p core-plugin
    cargo build --release --locked --target wasm32-unknown-unknown -p core-calc -p core-toolbox

# The demo: build the guests and the host, then exercise every host/guest interaction of a 0.1.1 plugin, a 0.1.0 plugin, a core module and a linked pair.
run: guests
    cargo run --locked -p example-host --bin plugin-host -- run {{component_guest}} {{legacy_guest}} {{core_plugin}} --link {{core_calc}} {{core_toolbox}}

# Run every test: guest unit tests, host unit tests, integration and CLI tests.
test: setup
    cargo test --workspace --locked

# Check formatting and lints, for the hosts and for the guests on their wasm targets.
lint: setup
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --locked -- -D warnings
    cargo clippy --locked --target wasm32-wasip2 -p guest -p legacy-guest -p hostile-guest -p greeter-guest -p bot-plugin -p plugin-sdk -- -D warnings
    cargo clippy --locked --target wasm32-wasip1 -p core-plugin -p seed-plugin -- -D warnings
    cargo clippy --locked --target wasm32-unknown-unknown -p core-calc -p core-toolbox -- -D warnings

# Benchmarks: the host's hot paths against bare wasmtime (criterion, release build; see BENCHMARKS.md).
bench: setup
    cargo bench --locked -p plugin-benches

# Instruction counts of the hot paths under callgrind, ours against bare wasmtime; fails when a ratio passes its bound (CI runs it).
bench-count: setup valgrind
    cargo build --release --locked -p plugin-benches --bin bench-count
    {{target}}/release/bench-count

# Density: resident memory per live instance, instantiation time as instances pile up, calls per second by threads (wall time: run on an idle machine).
bench-density: setup
    cargo run --release --locked -p plugin-benches --bin bench-density

# Install Valgrind (Debian's) if it is missing: with apt-get as root, else say the command.
[private]
valgrind:
    #!/usr/bin/env bash
    set -euo pipefail
    command -v valgrind >/dev/null && exit 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing valgrind (Debian package) for the instruction counts"
        apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
    else
        echo "bench-count needs valgrind: run 'sudo apt-get install valgrind'" >&2
        exit 1
    fi
