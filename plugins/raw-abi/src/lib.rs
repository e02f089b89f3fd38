//! A core plugin written by hand against the example's raw ABI, in the style such plugins are
//! often written: a `static mut` for the plugin's own value, edition 2021 syntax, and a
//! `simple_add` that prints two lines. Kept in that style on purpose, so that the host is
//! tested against it; the project's own core plugin is `plugins/core`.
#![allow(
    missing_docs,
    clippy::missing_safety_doc,
    reason = "written by hand in an older style, on purpose"
)]

#[repr(C)]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

#[link(wasm_import_module = "env")]
extern "C" {
    fn host_log_value(value: i32);
    fn host_get_shared_value() -> i32;
    fn host_set_shared_value(value: i32);
}

static mut PLUGIN_SHARED_VALUE: i32 = 100;

#[no_mangle]
pub extern "C" fn just_add(a: i64, b: i64) -> i64 {
    a.wrapping_add(b)
}

#[no_mangle]
pub extern "C" fn trigger_host_calls(input: i32) {
    unsafe {
        host_log_value(input * 2);
        let value = host_get_shared_value();
        host_set_shared_value(value + input + 5);
    }
}

#[no_mangle]
pub extern "C" fn point_add(a: Point, b: Point) -> Point {
    Point {
        x: a.x.wrapping_add(b.x),
        y: a.y.wrapping_add(b.y),
    }
}

#[no_mangle]
pub extern "C" fn get_plugin_shared_value_ptr() -> *mut i32 {
    &raw mut PLUGIN_SHARED_VALUE
}

#[no_mangle]
pub extern "C" fn simple_add(a: i64, b: i64) -> i64 {
    let value = unsafe { PLUGIN_SHARED_VALUE };
    println!("Current plugin's internal shared value: {value}");
    println!("Performing simple add: {a} + {b}");
    a + b
}
