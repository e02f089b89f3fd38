#!/bin/sh
# Compiles toolbox.cpp into the core module OUT: `sh plugins/toolbox/build.sh OUT`.
# `just guests` and the tests' build script both call it, so the command is written once.
#
# The compiler: clang++ with wasm-ld (Debian's `clang` and `lld`), or else zig's (PyPI's
# `ziglang`) from the virtualenv at $ZIG_VENV (default `target/zig-venv`). `just setup`
# installs one of them.
set -eu
here=$(dirname "$0")
out=$1
mkdir -p "$(dirname "$out")"
flags="-Os -nostdlib -fno-exceptions -fno-rtti -Wl,--no-entry -Wl,--export=foo"
if command -v clang++ >/dev/null 2>&1 && command -v wasm-ld >/dev/null 2>&1; then
    # shellcheck disable=SC2086 # the flags are words
    exec clang++ --target=wasm32-unknown-unknown $flags -o "$out" "$here/toolbox.cpp"
fi
zig_python="${ZIG_VENV:-target/zig-venv}/bin/python"
if [ -x "$zig_python" ]; then
    # shellcheck disable=SC2086
    exec "$zig_python" -m ziglang c++ -target wasm32-freestanding $flags -o "$out" "$here/toolbox.cpp"
fi
echo "error: no C++ compiler for wasm32 to build $here/toolbox.cpp;" \
    "run 'just setup' (it runs 'apt-get install clang lld' as root)" >&2
exit 1
