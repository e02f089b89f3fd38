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
    cargo clippy --locked --target wasm32-wasip1 -p core-plugin -- -D warnings
    cargo clippy --locked --target wasm32-unknown-unknown -p core-calc -p core-toolbox -- -D warnings

# Benchmarks: the host's hot paths against bare wasmtime (criterion, release build; see BENCHMARKS.md).
bench: setup
    cargo bench --locked -p plugin-benches
