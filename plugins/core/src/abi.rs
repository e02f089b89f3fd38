//! The raw ABI: what the host links against and calls. All of this crate's `unsafe` is here.

use std::alloc::{Layout, alloc, realloc};
use std::ptr;

use crate::Point;

// SAFETY: the host provides these imports with exactly these signatures; they take and return
// plain integers, so calling them cannot break memory safety and they are declared `safe`.
#[link(wasm_import_module = "env")]
unsafe extern "C" {
    safe fn host_log_value(value: i32);
    safe fn host_get_shared_value() -> i32;
    safe fn host_set_shared_value(value: i32);
}

/// `just_add(i64, i64) -> i64`.
#[unsafe(no_mangle)]
pub extern "C" fn just_add(a: i64, b: i64) -> i64 {
    crate::just_add(a, b)
}

/// `trigger_host_calls(i32)`: calls the three `env` imports.
#[unsafe(no_mangle)]
pub extern "C" fn trigger_host_calls(input: i32) {
    crate::trigger_host_calls(
        input,
        |value| host_log_value(value),
        || host_get_shared_value(),
        |value| host_set_shared_value(value),
    );
}

/// `point_add(result, a, b)`: reads two [`Point`]s and writes their sum to `result`.
///
/// # Safety
/// `a` and `b` must each point to 8 readable bytes and `result` to 8 writable bytes of this
/// module's linear memory. No alignment is required.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn point_add(result: *mut Point, a: *const Point, b: *const Point) {
    // SAFETY: the caller guarantees `a` and `b` are readable for a `Point`; `read_unaligned`
    // accepts any alignment.
    let (a, b) = unsafe { (a.read_unaligned(), b.read_unaligned()) };
    // SAFETY: the caller guarantees `result` is writable for a `Point`, at any alignment.
    unsafe { result.write_unaligned(crate::point_add(a, b)) };
}

/// `get_plugin_shared_value_ptr() -> i32`: where the plugin's own `i32` lives in linear memory.
#[unsafe(no_mangle)]
pub extern "C" fn get_plugin_shared_value_ptr() -> *mut i32 {
    crate::GUEST_VALUE.as_ptr()
}

/// `simple_add(i64, i64) -> i64`: prints the plugin's own value, then adds.
#[unsafe(no_mangle)]
pub extern "C" fn simple_add(a: i64, b: i64) -> i64 {
    crate::simple_add(a, b)
}

/// The allocator the host uses for scratch memory, with the component model's `cabi_realloc`
/// signature: `(old_ptr, old_len, align, new_len) -> new_ptr`. Returns null when the request is
/// not a valid layout or the allocation fails.
///
/// # Safety
/// `old_ptr` must be null with `old_len == 0`, or a block this function returned with size
/// `old_len` and alignment `align`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cabi_realloc(
    old_ptr: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
    let Ok(layout) = Layout::from_size_align(new_len, align) else {
        return ptr::null_mut();
    };
    if new_len == 0 {
        return ptr::null_mut();
    }
    if old_len == 0 {
        // SAFETY: `layout` has a non-zero size.
        unsafe { alloc(layout) }
    } else {
        // SAFETY: the caller guarantees `old_ptr` came from here with this size and alignment,
        // which `from_size_align` accepted for `new_len` and so accepts for `old_len`.
        unsafe {
            realloc(
                old_ptr,
                Layout::from_size_align_unchecked(old_len, align),
                new_len,
            )
        }
    }
}
