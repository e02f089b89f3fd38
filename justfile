# Recipes for the plugin host. `just` alone lists them.

# Where cargo puts its builds, asked of cargo itself: `CARGO_TARGET_DIR`, `build.target-dir` in a
# cargo config, or `target/`.
target := `cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'`
component_guest := target / "wasm32-wasip2/release/guest.wasm"
legacy_guest := target / "wasm32-wasip2/release/legacy_guest.wasm"
guest_0_1_1 := target / "wasm32-wasip2/release/guest_0_1_1.wasm"
hostile_guest := target / "wasm32-wasip2/release/hostile_guest.wasm"
core_plugin := target / "wasm32-wasip1/release/core_plugin.wasm"
core_calc := target / "wasm32-unknown-unknown/release/core_calc.wasm"
core_toolbox := target / "wasm32-unknown-unknown/release/core_toolbox.wasm"
# The plugins in C, Python and JavaScript, their toolchains, and the composition (`just polyglot`).
polyglot_dir := target / "polyglot"
compose_calc := target / "wasm32-wasip2/release/compose_calc.wasm"
# The fuzz targets' own target folder: they are built with other flags than everything else.
fuzz_build := target / "fuzz-build"

# List the recipes.
default:
    @just --list

# Install the wasm targets the guests are built for and a C++ compiler for wasm32 (a no-op when they are there).
setup: cxx
    rustup target add wasm32-wasip2 wasm32-wasip1 wasm32-unknown-unknown

# A C++ compiler for wasm32, for the C++ toolbox: clang and lld from Debian when run as root, else ziglang from PyPI in a virtualenv under the target folder.
[private]
cxx:
    #!/usr/bin/env bash
    set -euo pipefail
    command -v clang++ >/dev/null && command -v wasm-ld >/dev/null && exit 0
    venv="{{target}}/zig-venv"
    [ -x "$venv/bin/python" ] && "$venv/bin/python" -m ziglang version >/dev/null 2>&1 && exit 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing clang and lld (Debian packages) to build the C++ toolbox for wasm32"
        apt-get update -qq && apt-get install -y -qq clang lld >/dev/null
    elif python3 -m venv "$venv" >/dev/null 2>&1; then
        echo "installing ziglang (PyPI) into $venv to build the C++ toolbox for wasm32"
        "$venv/bin/pip" install -q ziglang
    else
        echo "error: no C++ compiler for wasm32; run: sudo apt-get install clang lld" >&2
        exit 1
    fi

# Build every guest: the contract's plugins (0.1.2, 0.1.1 and 0.1.0), the greeter (another world), the bot plugin, the core-module plugin and the linked pair (Rust calc, C++ toolbox).
guests: setup
    cargo build --release --locked --target wasm32-wasip2 -p guest -p guest-0-1-1 -p legacy-guest -p greeter-guest -p bot-plugin
    cargo build --release --locked --target wasm32-wasip1 -p core-plugin
    cargo build --release --locked --target wasm32-unknown-unknown -p core-calc
    ZIG_VENV="{{target}}/zig-venv" sh plugins/toolbox/build.sh {{core_toolbox}}

# The demo: build the guests and the host, then exercise every host/guest interaction of a plugin of each version of the contract (0.1.2 with its resources, stream and async host call; 0.1.1; 0.1.0), a core module and a linked pair.
run: guests
    cargo run --locked -p plugin-host-cli -- run {{component_guest}} {{guest_0_1_1}} {{legacy_guest}} {{core_plugin}} --link {{core_calc}} {{core_toolbox}}

# Run every test: guest unit tests, host unit tests, integration and CLI tests.
test: setup
    cargo test --workspace --locked

# Check formatting, lints and the API docs' links, for the hosts and for the guests on their wasm targets.
lint: setup
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --locked --features plugin-tests/polyglot -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
    cargo clippy --locked --target wasm32-wasip2 -p guest -p guest-0-1-1 -p legacy-guest -p hostile-guest -p greeter-guest -p escape-plugin -p notes-plugin -p bot-plugin -p compose-calc -p plugin-sdk -- -D warnings
    cargo clippy --locked --target wasm32-wasip1 -p core-plugin -p raw-abi-plugin -- -D warnings
    cargo clippy --locked --target wasm32-unknown-unknown -p core-calc -p debug-info-plugin -- -D warnings

# Start a version of the contract (the book, "Extending the WIT"): wit/VERSION, a copy of the newest version's WIT with the new package version, and crates/sdk/vVERSION, a copy of the newest SDK crate, added to the SDK and to Cargo.lock. What is left: VERSION in the `versions` of crates/example/src/contract/mod.rs, the change itself, and the version's row in docs/src/contract.md.
new-version version:
    #!/usr/bin/env bash
    set -euo pipefail
    new="{{version}}"
    newest=$(ls wit | sort -V | tail -n 1)
    if [ -e "wit/$new" ]; then echo "error: wit/$new exists" >&2; exit 1; fi
    cp -r "wit/$newest" "wit/$new"
    sed -i "s/^package example:plugin@${newest//./\\.};/package example:plugin@$new;/" "wit/$new"/*.wit
    cp -r "crates/sdk/v$newest" "crates/sdk/v$new"
    escaped=${newest//./\\.}
    sed -i "s/${newest//./_}/${new//./_}/g; s/${newest//./-}/${new//./-}/g; s/$escaped/$new/g" \
        "crates/sdk/v$new/Cargo.toml" "crates/sdk/v$new/src/lib.rs"
    sed -i "s/^version = \"$escaped\"/version = \"$new\"/" crates/sdk/Cargo.toml
    sed -i "/^plugin-sdk-v${newest//./-} = /a plugin-sdk-v${new//./-} = { path = \"v$new\" }" crates/sdk/Cargo.toml
    printf '/// `example:plugin@%s`.\npub use plugin_sdk_v%s as v%s;\n' "$new" "${new//./_}" "${new//./_}" >> crates/sdk/src/lib.rs
    cargo update --workspace --offline --quiet
    echo "started $new: wit/$new and crates/sdk/v$new are copies of $newest; add \"$new\" to the versions in crates/example/src/contract/mod.rs, make the change, and add its row to docs/src/contract.md"

# Per-plugin metrics, scraped by a real Prometheus: installs Debian's `prometheus` if missing (as root), builds the CLI, a plugin and the hostile plugin, and runs tests/prometheus.py (calls sent to `plugin-host watch --metrics`, counted by outcome through Prometheus's HTTP API).
metrics: setup
    #!/usr/bin/env bash
    set -euo pipefail
    if ! command -v prometheus >/dev/null; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            echo "installing prometheus (Debian package) for the metrics check"
            apt-get update -qq && apt-get install -y -qq prometheus >/dev/null
        else
            echo "error: no prometheus; run: sudo apt-get install prometheus" >&2
            exit 1
        fi
    fi
    cargo build --release --locked --target wasm32-wasip2 -p guest -p hostile-guest
    cargo build --locked -p plugin-host-cli
    python3 tests/prometheus.py --plugin-host {{target}}/debug/plugin-host --good {{component_guest}} --hostile {{hostile_guest}}

# The plugins in C, Python and JavaScript (`plugins/`): install their toolchains under the target folder, build them, run the contract's checks on each, and test every call against the Rust guests.
polyglot: setup polyglot-toolchains compose
    sh plugins/c/build.sh plugins/c/plugin.c wit/0.1.2 plugin {{polyglot_dir}}/c_plugin.wasm
    {{polyglot_dir}}/venv/bin/componentize-py -d wit/0.1.2 -w plugin componentize app -p plugins/python -o {{polyglot_dir}}/python_plugin.wasm
    {{polyglot_dir}}/js/node_modules/.bin/componentize-js plugins/js/plugin.js --wit wit/0.1.0 --world-name plugin --disable http fetch-event -o {{polyglot_dir}}/js_plugin.wasm
    # Mistakes the toolchains let through, for the test: a C plugin built against a copy of the
    # WIT without `describe`, and the JavaScript plugin with componentize-js's default imports
    # (wasi:http among them).
    mkdir -p {{polyglot_dir}}/mistakes/wit
    sed '/export describe:/d' wit/0.1.2/plugin.wit > {{polyglot_dir}}/mistakes/wit/plugin.wit
    sh plugins/c/build.sh plugins/c/plugin.c {{polyglot_dir}}/mistakes/wit plugin {{polyglot_dir}}/mistakes/c_without_describe.wasm
    {{polyglot_dir}}/js/node_modules/.bin/componentize-js plugins/js/plugin.js --wit wit/0.1.0 --world-name plugin -o {{polyglot_dir}}/mistakes/js_with_http.wasm
    cargo run --locked -p plugin-host-cli -- run --cache {{polyglot_dir}}/c_plugin.wasm {{polyglot_dir}}/python_plugin.wasm {{polyglot_dir}}/js_plugin.wasm
    POLYGLOT_DIR={{polyglot_dir}} cargo test --workspace --locked --features plugin-tests/polyglot --test polyglot

# Components composed from components: a Rust calc exporting `add` and a C toolbox importing it, composed at build time with wac-graph into composed.wasm and called, then composed at load time by the host.
compose: setup polyglot-toolchains
    cargo build --release --locked --target wasm32-wasip2 -p compose-calc
    sh plugins/c/build.sh plugins/compose/toolbox/toolbox.c plugins/compose/wit toolbox {{polyglot_dir}}/toolbox.wasm
    cargo run -q --locked -p polyglot-tool -- compose {{compose_calc}} {{polyglot_dir}}/toolbox.wasm -o {{polyglot_dir}}/composed.wasm
    cargo run -q --locked -p plugin-host-cli -- call {{polyglot_dir}}/composed.wasm foo 7
    cargo run -q --locked -p plugin-host-cli -- run --compose {{compose_calc}} {{polyglot_dir}}/toolbox.wasm

# Install what the plugins in other languages are built with, each only if missing: a C compiler for wasm32-wasi (Debian's clang, lld, wasi-libc and compiler-rt as root, else PyPI's ziglang), componentize-py (PyPI, into a virtualenv) and componentize-js (npm, at the versions of its lock file), both under the target folder.
[private]
polyglot-toolchains:
    #!/usr/bin/env bash
    set -euo pipefail
    dir="{{polyglot_dir}}"
    mkdir -p "$dir"
    root_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }
    apt_install() {
        echo "installing $* (Debian packages) for the plugins in other languages"
        apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
    }
    # C: clang with wasi-libc, or zig.
    zig_venv="{{target}}/zig-venv"
    if ! { command -v clang >/dev/null && [ -f /usr/lib/wasm32-wasi/libc.a ] &&
           [ -f "$(clang --target=wasm32-wasi -print-libgcc-file-name)" ]; } &&
       ! "$zig_venv/bin/python" -m ziglang version >/dev/null 2>&1; then
        if root_apt; then
            apt_install clang lld wasi-libc libclang-rt-dev-wasm32
        elif python3 -m venv "$zig_venv" >/dev/null 2>&1; then
            echo "installing ziglang (PyPI) into $zig_venv to build the C plugin for wasm32-wasi"
            "$zig_venv/bin/pip" install -q ziglang
        else
            echo "error: no C compiler for wasm32-wasi; run: sudo apt-get install clang lld wasi-libc libclang-rt-dev-wasm32" >&2
            exit 1
        fi
    fi
    # Python: componentize-py at the version plugins/python/requirements.txt pins.
    if ! cmp -s plugins/python/requirements.txt "$dir/venv/requirements.txt"; then
        if ! python3 -m venv "$dir/venv" >/dev/null 2>&1; then
            root_apt || { echo "error: python3 cannot make a virtualenv; run: sudo apt-get install python3-venv" >&2; exit 1; }
            apt_install python3-venv
            python3 -m venv "$dir/venv"
        fi
        echo "installing componentize-py (PyPI) into $dir/venv"
        "$dir/venv/bin/pip" install -q -r plugins/python/requirements.txt
        cp plugins/python/requirements.txt "$dir/venv/requirements.txt"
    fi
    # JavaScript: componentize-js at the versions plugins/js/package-lock.json pins (`npm
    # install` with the lock, as `npm ci` rejects it: it wants entries for optional packages of
    # other platforms that the registry does not list).
    if ! cmp -s plugins/js/package-lock.json "$dir/js/installed-lock.json"; then
        if ! command -v npm >/dev/null; then
            root_apt || { echo "error: no npm; run: sudo apt-get install nodejs npm" >&2; exit 1; }
            apt_install nodejs npm
        fi
        echo "installing componentize-js (npm) into $dir/js/node_modules"
        mkdir -p "$dir/js"
        cp plugins/js/package.json plugins/js/package-lock.json "$dir/js/"
        (cd "$dir/js" && npm install --no-audit --no-fund --loglevel=error)
        cp plugins/js/package-lock.json "$dir/js/installed-lock.json"
    fi

# Build the book (docs/) into the target folder with mdBook and check every link in it with mdbook-linkcheck; both are installed under the target folder the first time.
book:
    #!/usr/bin/env bash
    set -euo pipefail
    tools="{{target}}/tools"
    install() {
        "$tools/bin/$1" --version 2>/dev/null | grep -q "$2" && return 0
        echo "installing $1 $2 (crates.io) into $tools"
        cargo install -q --locked --root "$tools" "$1" --version "$2" "${@:3}"
    }
    install mdbook 0.4.52 --no-default-features --features search
    install mdbook-linkcheck 0.7.7
    PATH="$tools/bin:$PATH" mdbook build docs -d "{{target}}/book"

# Build the fuzz targets in fuzz/ (cargo-fuzz with libFuzzer, on the stable toolchain: `-s none` instruments for coverage without a sanitizer), into a target folder of their own; installs cargo-fuzz under the target folder the first time, and a C++ compiler for libFuzzer if there is none.
fuzz-build: cxx
    #!/usr/bin/env bash
    set -euo pipefail
    tools="{{target}}/tools"
    if ! "$tools/bin/cargo-fuzz" --version 2>/dev/null | grep -q "0.13.1"; then
        echo "installing cargo-fuzz 0.13.1 (crates.io) into $tools"
        cargo install -q --locked --root "$tools" cargo-fuzz --version 0.13.1
    fi
    # A development build (cranelift optimised, as for the tests), instrumented for coverage.
    "$tools/bin/cargo-fuzz" build -s none --dev --target-dir "{{fuzz_build}}"

# Fuzz every target in fuzz/ for SECONDS each, starting from the corpus in fuzz/corpus (building them first: `just fuzz-build`). A crash fails the recipe and leaves its input in the target folder's fuzz/artifacts.
fuzz seconds="20": fuzz-build
    #!/usr/bin/env bash
    set -euo pipefail
    fuzz="{{target}}/tools/bin/cargo-fuzz"
    work="{{target}}/fuzz"
    for name in $("$fuzz" list); do
        mkdir -p "$work/corpus/$name" "$work/artifacts/$name"
        cp -n fuzz/corpus/$name/* "$work/corpus/$name/" 2>/dev/null || true
        log="$work/$name.log"
        if ! "$fuzz" run -s none --dev --target-dir "{{fuzz_build}}" "$name" "$work/corpus/$name" -- \
                -max_total_time={{seconds}} -timeout=10 -rss_limit_mb=4096 \
                -artifact_prefix="$work/artifacts/$name/" >"$log" 2>&1; then
            tail -n 40 "$log"
            echo "error: fuzz target $name failed; its input is in $work/artifacts/$name/:" \
                 "once fixed, add it to fuzz/corpus/$name/ as a regression" >&2
            exit 1
        fi
        runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")
        cov=$(sed -n 's/^#[0-9]*[[:space:]]*DONE[[:space:]]*cov: \([0-9]*\).*/\1/p' "$log")
        echo "fuzz $name: $runs executions in {{seconds}} s, $cov coverage points, no crash"
    done

# Benchmarks: the host's hot paths against bare wasmtime (criterion, release build; see BENCHMARKS.md).
bench: setup
    cargo bench --locked -p plugin-benches

# Instruction counts of the hot paths under callgrind, ours against bare wasmtime; fails when a ratio passes its bound (CI runs it).
bench-count: setup valgrind
    cargo build --release --locked -p plugin-benches --bin bench-count
    {{target}}/release/bench-count

# The soak: threads call 100 distinct plugin files (a fifth of them hostile) in a watched directory for SECONDS while a tenth of the files are replaced every second; fails unless every good call is right, every hostile one its typed failure, and resident memory, file descriptors and mapped regions stay within their bounds after warm-up (release build; prints the samples).
soak seconds="60": setup
    cargo run --release --locked -p plugin-benches --bin soak -- {{seconds}}

# Density: resident memory per live instance, instantiation time as instances pile up, calls per second by threads (wall time: run on an idle machine).
bench-density: setup
    cargo run --release --locked -p plugin-benches --bin bench-density

# What a plugin costs the host by its language: size, compile, cached load, instantiate, one call, for the Rust guests and the plugins `just polyglot` built (run that first; wall time: run on an idle machine).
bench-polyglot: setup
    POLYGLOT_DIR={{polyglot_dir}} cargo run --release --locked -p plugin-benches --bin bench-polyglot

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
