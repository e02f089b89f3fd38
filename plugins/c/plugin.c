// A plugin of the contract world `example:plugin@0.1.2` (wit/0.1.2), in C.
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

// The calls this plugin offers, in the world's order: its functions, then those of the
// interface it exports, a resource's as WIT writes them.
static const char *const CALLS[] = {
    "just-add",
    "point-add",
    "trigger",
    "describe",
    "sum-points",
    "shapes#accumulator.new",
    "shapes#accumulator.add",
    "shapes#accumulator.total",
    "shapes#closed-path",
    "shapes#path-length",
    "shapes#sum-stream",
};
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

// ---- The interface `shapes` (0.1.2): resources and an async export.

// What an `accumulator` handle stands for: the bindings hand the host a handle and give this
// pointer (the resource's "rep") back to every method.
struct exports_example_plugin_shapes_accumulator_t {
    plugin_point_t total;
};

exports_example_plugin_shapes_own_accumulator_t exports_example_plugin_shapes_constructor_accumulator(void) {
    exports_example_plugin_shapes_accumulator_t *rep = calloc(1, sizeof *rep);
    if (rep == NULL) {
        abort();
    }
    return exports_example_plugin_shapes_accumulator_new(rep);
}

// Adds `p` to `total`, each field wrapping.
static void accumulate(plugin_point_t *total, const plugin_point_t *p) {
    total->x = wrapping_add(total->x, p->x);
    total->y = wrapping_add(total->y, p->y);
}

void exports_example_plugin_shapes_method_accumulator_add(
    exports_example_plugin_shapes_borrow_accumulator_t self, plugin_point_t *p) {
    accumulate(&self->total, p);
}

void exports_example_plugin_shapes_method_accumulator_total(
    exports_example_plugin_shapes_borrow_accumulator_t self, plugin_point_t *ret) {
    *ret = self->total;
}

// Runs when the host drops the last handle.
void exports_example_plugin_shapes_accumulator_destructor(exports_example_plugin_shapes_accumulator_t *rep) {
    free(rep);
}

exports_example_plugin_shapes_own_path_t exports_example_plugin_shapes_closed_path(
    exports_example_plugin_shapes_list_point_t *points) {
    // The host's constructor gives an owned handle; its methods take a borrow of it.
    example_plugin_host_own_path_t path = example_plugin_host_constructor_path();
    example_plugin_host_borrow_path_t borrowed = example_plugin_host_borrow_path(path);
    for (size_t i = 0; i < points->len; i++) {
        example_plugin_host_method_path_push(borrowed, &points->ptr[i]);
    }
    exports_example_plugin_shapes_list_point_free(points);
    // Returning the owned handle hands the path to the caller.
    return path;
}

uint32_t exports_example_plugin_shapes_path_length(exports_example_plugin_shapes_borrow_path_t p) {
    uint32_t len = example_plugin_host_method_path_len(p);
    // A borrow the host lends an export is the export's to end before it returns.
    example_plugin_host_path_drop_borrow(p);
    return len;
}

// `sum-stream` in the component model's callback ABI: the export starts the task and returns
// what it waits for; the bindings call `..._sum_stream_callback` with each event it waited
// for, until a step returns EXIT. The task's state lives in the task's context slot.
struct sum_stream_task {
    exports_example_plugin_shapes_stream_point_t points;
    uint32_t pause_ms;
    plugin_point_t total;
    // The point being read: the host writes it here while the read is pending.
    plugin_point_t next;
    plugin_waitable_set_t waiting;
};

// Ends the task with the total.
static plugin_callback_code_t sum_stream_finish(struct sum_stream_task *task) {
    plugin_waitable_join(task->points, 0);
    exports_example_plugin_shapes_stream_point_drop_readable(task->points);
    plugin_waitable_set_drop(task->waiting);
    plugin_context_set_0(NULL);
    exports_example_plugin_shapes_sum_stream_return(task->total);
    free(task);
    return PLUGIN_CALLBACK_CODE_EXIT;
}

static plugin_callback_code_t sum_stream_read(struct sum_stream_task *task);

// After a point: sleeps `pause-ms` on the host's timer, then reads the next one.
static plugin_callback_code_t sum_stream_sleep(struct sum_stream_task *task) {
    plugin_subtask_status_t status = example_plugin_timer_sleep(task->pause_ms);
    if (PLUGIN_SUBTASK_STATE(status) == PLUGIN_SUBTASK_RETURNED) {
        return sum_stream_read(task);
    }
    plugin_waitable_join(PLUGIN_SUBTASK_HANDLE(status), task->waiting);
    return PLUGIN_CALLBACK_CODE_WAIT(task->waiting);
}

// What a read of the stream gave: a point (add it, then sleep), or the end of the stream.
static plugin_callback_code_t sum_stream_read_done(struct sum_stream_task *task,
                                                   plugin_waitable_status_t status) {
    if (PLUGIN_WAITABLE_COUNT(status) == 1) {
        accumulate(&task->total, &task->next);
        return sum_stream_sleep(task);
    }
    if (PLUGIN_WAITABLE_STATE(status) == PLUGIN_WAITABLE_DROPPED) {
        return sum_stream_finish(task);
    }
    return sum_stream_read(task);
}

// Reads the next point, one at a time, as the Rust guest does.
static plugin_callback_code_t sum_stream_read(struct sum_stream_task *task) {
    plugin_waitable_status_t status =
        exports_example_plugin_shapes_stream_point_read(task->points, &task->next, 1);
    if (status == PLUGIN_WAITABLE_STATUS_BLOCKED) {
        plugin_waitable_join(task->points, task->waiting);
        return PLUGIN_CALLBACK_CODE_WAIT(task->waiting);
    }
    return sum_stream_read_done(task, status);
}

plugin_callback_code_t exports_example_plugin_shapes_sum_stream(
    exports_example_plugin_shapes_stream_point_t points, uint32_t pause_ms) {
    struct sum_stream_task *task = calloc(1, sizeof *task);
    if (task == NULL) {
        abort();
    }
    task->points = points;
    task->pause_ms = pause_ms;
    task->waiting = plugin_waitable_set_new();
    plugin_context_set_0(task);
    return sum_stream_read(task);
}

plugin_callback_code_t exports_example_plugin_shapes_sum_stream_callback(plugin_event_t *event) {
    struct sum_stream_task *task = plugin_context_get_0();
    switch (event->event) {
    case PLUGIN_EVENT_STREAM_READ:
        plugin_waitable_join(task->points, 0);
        return sum_stream_read_done(task, event->code);
    case PLUGIN_EVENT_SUBTASK:
        if (event->code != PLUGIN_SUBTASK_RETURNED) {
            return PLUGIN_CALLBACK_CODE_WAIT(task->waiting);
        }
        plugin_waitable_join(event->waitable, 0);
        plugin_subtask_drop(event->waitable);
        return sum_stream_read(task);
    case PLUGIN_EVENT_CANCEL:
        // The caller gave up: end the task without a value. The instance's memory goes with it.
        plugin_task_cancel();
        return PLUGIN_CALLBACK_CODE_EXIT;
    default:
        return PLUGIN_CALLBACK_CODE_WAIT(task->waiting);
    }
}
