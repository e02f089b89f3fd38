// The consumer in the module-linking demonstration: a core module that imports
// `add` from module `env` and exports `foo`. The host satisfies `env.add` with the export of
// the Rust `calc` module.
#pragma once

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#else
// The same import and export without emscripten, in clang's own attributes (build.sh exports
// `foo` by name).
#define EM_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define EMSCRIPTEN_KEEPALIVE __attribute__((used, visibility("default")))
#endif

extern "C" {

// Provided by the host from the `calc` module: `left + right`.
EM_IMPORT(add) int add(int left, int right);

// `add(1, right)`, through the import.
EMSCRIPTEN_KEEPALIVE int foo(int right);

}
