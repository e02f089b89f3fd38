// A plugin of the contract world `example:plugin@0.1.1` (wit/0.1.1), in C.
//
// `plugin.h` is what `wit-bindgen c` writes for the world; build.sh generates it, compiles this
// file with it for wasm32-wasi and makes the core module a component. The contract says what
// each call must do; the comments here say only how C does it.
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

uint64_t exports_plugin_just_add(uint64_t a, uint64_t b) {
    // Unsigned arithmetic in C wraps, as the contract asks.
    return a + b;
}

// Adds two i32s wrapping as two's complement: signed overflow is undefined in C, so add them
// as unsigned and convert back (which wraps in clang, as in every two's-complement compiler).
static int32_t wrapping_add(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

void exports_plugin_point_add(plugin_point_t *a, plugin_point_t *b, plugin_point_t *ret) {
    ret->x = wrapping_add(a->x, b->x);
    ret->y = wrapping_add(a->y, b->y);
}

void exports_plugin_trigger(int32_t input) {
    // Goes to the host through WASI stdout, which the host captures per plugin.
    printf("c plugin: trigger(%d) calls log, get and set on the host\n", input);
    fflush(stdout);
    example_plugin_host_log(wrapping_add(input, input));
    int32_t value = example_plugin_host_get();
    example_plugin_host_set(wrapping_add(wrapping_add(value, input), 5));
}

// The calls this plugin offers, in the world's order.
static const char *const CALLS[] = {"just-add", "point-add", "trigger", "describe", "sum-points"};
#define CALL_COUNT (sizeof CALLS / sizeof CALLS[0])

void exports_plugin_describe(plugin_plugin_info_t *ret) {
    // Everything returned is heap memory: the bindings free it after the host has copied it.
    plugin_string_dup(&ret->name, "c-plugin");
    plugin_string_dup(&ret->version, "0.1.0");
    ret->calls.len = CALL_COUNT;
    ret->calls.ptr = malloc(CALL_COUNT * sizeof(plugin_string_t));
    if (ret->calls.ptr == NULL) {
        abort();
    }
    for (size_t i = 0; i < CALL_COUNT; i++) {
        plugin_string_dup(&ret->calls.ptr[i], CALLS[i]);
    }
}

// Reports `text` to the host at level warn.
static void warn(const char *text) {
    plugin_string_t message;
    plugin_string_set(&message, text);
    example_plugin_host_log_message(EXAMPLE_PLUGIN_TYPES_LEVEL_WARN, &message);
}

bool exports_plugin_sum_points(plugin_list_point_t *points, plugin_point_t *ret,
                               plugin_sum_error_t *err) {
    bool ok = true;
    if (points->len == 0) {
        warn("sum-points: the list is empty");
        err->tag = EXAMPLE_PLUGIN_TYPES_SUM_ERROR_EMPTY;
        ok = false;
    } else {
        plugin_point_t sum = points->ptr[0];
        for (size_t i = 1; ok && i < points->len; i++) {
            plugin_point_t p = points->ptr[i];
            if (__builtin_add_overflow(sum.x, p.x, &sum.x) ||
                __builtin_add_overflow(sum.y, p.y, &sum.y)) {
                char text[64];
                snprintf(text, sizeof text, "sum-points: adding point %zu overflows", i);
                warn(text);
                err->tag = EXAMPLE_PLUGIN_TYPES_SUM_ERROR_OVERFLOW;
                err->val.overflow = (uint32_t)i;
                ok = false;
            }
        }
        *ret = sum;
    }
    // The list is the plugin's to free.
    plugin_list_point_free(points);
    return ok;
}
