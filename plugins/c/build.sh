#!/bin/sh
# Builds a C component of a WIT world: `sh plugins/c/build.sh SOURCE WIT_DIR WORLD OUT`.
# `just polyglot` builds the C plugin with it (plugins/c/plugin.c, world `plugin` of wit/0.1.2)
# and the C toolbox of the composition (plugins/compose/toolbox/toolbox.c, world `toolbox`
# of plugins/compose/wit).
#
# 1. `polyglot c-bindings` writes the world's bindings (what `wit-bindgen c` writes: WORLD.h,
#    WORLD.c, WORLD_component_type.o) into OUT's build folder.
# 2. A C compiler for wasm32-wasi with wasi-libc builds a reactor core module: clang with
#    Debian's `wasi-libc` and `libclang-rt-dev-wasm32`, or else zig's (PyPI's `ziglang`, which
#    brings its own wasi-libc) from the virtualenv at $ZIG_VENV (default `target/zig-venv`).
# 3. `polyglot componentize` makes it a component with the WASI preview1 adapter.
set -eu
source=$1 wit=$2 world=$3 out=$4
work="${out%.wasm}.build"
polyglot() { cargo run -q --locked -p polyglot-tool -- "$@"; }

polyglot c-bindings "$wit" "$world" "$work"
sources="$source $work/$world.c $work/${world}_component_type.o"
flags="-Os -mexec-model=reactor -I$work -o $work/core.wasm"
zig_python="${ZIG_VENV:-target/zig-venv}/bin/python"
if command -v clang >/dev/null 2>&1 && [ -f /usr/lib/wasm32-wasi/libc.a ]; then
    # shellcheck disable=SC2086 # the flags and sources are words
    clang --target=wasm32-wasi $flags $sources
elif [ -x "$zig_python" ]; then
    # shellcheck disable=SC2086
    "$zig_python" -m ziglang cc -target wasm32-wasi $flags $sources
else
    echo "error: no C compiler for wasm32-wasi to build $source;" \
        "run 'just polyglot' (it runs 'apt-get install clang lld wasi-libc libclang-rt-dev-wasm32' as root)" >&2
    exit 1
fi
polyglot componentize "$work/core.wasm" -o "$out"
