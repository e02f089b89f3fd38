// The consumer in the composition demonstration, in C: a component of the world
// `example:calc/toolbox` (plugins/compose/wit) that imports `add` from the interface `math` and
// exports `foo`. The component form of the C++ toolbox of module linking (plugins/toolbox).
//
// `toolbox.h` is what `wit-bindgen c` writes for the world; `plugins/c/build.sh` generates it
// and builds the component (`just polyglot`).
#include "toolbox.h"

int32_t exports_toolbox_foo(int32_t right) {
    return example_calc_math_add(1, right);
}
