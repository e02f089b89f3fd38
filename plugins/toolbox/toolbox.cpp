// See toolbox.h. build.sh compiles it for wasm32 with no C or C++ runtime: the module is the
// one import and the one export (and its linear memory).
#include "toolbox.h"

extern "C" EMSCRIPTEN_KEEPALIVE int foo(int right) {
    return add(1, right);
}
