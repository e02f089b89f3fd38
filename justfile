# Recipes for the plugin host. `just` alone lists them.

# Where `cargo build --release --target …` puts each guest.
component_guest := "target/wasm32-wasip2/release/guest.wasm"
core_plugin := "target/wasm32-wasip1/release/core_plugin.wasm"
core_calc := "target/wasm32-unknown-unknown/release/core_calc.wasm"
core_toolbox := "target/wasm32-unknown-unknown/release/core_toolbox.wasm"

# List the recipes.
default:
    @just --list

# Install the wasm targets the guests are built for (a no-op when they are there).
setup:
    rustup target add wasm32-wasip2 wasm32-wasip1 wasm32-unknown-unknown

# Build every guest: the component, the greeter (another world), the core-module plugin and the linked pair.
guests: setup
    cargo build --release --locked --target wasm32-wasip2 -p guest -p greeter-guest
    cargo build --release --locked --target wasm32-wasip1 -p core-plugin
    cargo build --release --locked --target wasm32-unknown-unknown -p core-calc -p core-toolbox

# The demo: build the guests and the host, then exercise every host/guest interaction.
run: guests
    cargo run --locked -p plugin-host -- run {{component_guest}} {{core_plugin}} --link {{core_calc}} {{core_toolbox}}

# Run every test: guest unit tests, host unit tests, integration and CLI tests.
test: setup
    cargo test --workspace --locked

# Check formatting and lints, for the host and for the guests on their wasm targets.
lint: setup
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --locked -- -D warnings
    cargo clippy --locked --target wasm32-wasip2 -p guest -p hostile-guest -p greeter-guest -- -D warnings
    cargo clippy --locked --target wasm32-wasip1 -p core-plugin -- -D warnings
    cargo clippy --locked --target wasm32-unknown-unknown -p core-calc -p core-toolbox -- -D warnings

# Benchmarks: the host's hot paths against bare wasmtime (criterion, release build; see BENCHMARKS.md).
bench: setup
    cargo bench --locked -p plugin-benches
