//! The component itself: only on wasm, so that a native build (which the tests link for
//! [`crate::Behaviour`]) exports no symbols that clash with other guests'.

use plugin_sdk::v0_1_0::{Guest, Point, export, host};

use crate::Behaviour;

/// Recurses for ever; `black_box` keeps the compiler from turning it into a loop.
#[expect(unconditional_recursion, reason = "unbounded recursion is the point")]
fn recurse(depth: u64) -> u64 {
    std::hint::black_box(recurse(std::hint::black_box(depth + 1))) + 1
}

fn misbehave(behaviour: Behaviour) {
    match behaviour {
        Behaviour::SetThenPanic => {
            host::set(666);
            panic!("hostile guest: panicking after set(666)");
        }
        Behaviour::Unreachable => unreachable_instruction(),
        Behaviour::Spin => loop {
            std::hint::spin_loop();
        },
        Behaviour::SpinCallingHost => loop {
            std::hint::black_box(host::get());
        },
        Behaviour::Recurse => {
            recurse(0);
        }
        Behaviour::AllocateForever => allocate_forever(),
        Behaviour::SetThenAllocate => {
            host::set(666);
            allocate_forever();
        }
        Behaviour::PrintForever => {
            for line in 0u64.. {
                println!("hostile guest: line {line}");
            }
        }
        Behaviour::WriteSharedValueBytes => {
            let len = usize::try_from(host::get()).unwrap_or(0);
            let stdout = wasip2::cli::stdout::get_stdout();
            stdout
                .write(&vec![b'x'; len])
                .expect("the host accepts the write");
        }
        Behaviour::CallHostSharedValueTimes => {
            for _ in 0..host::get() {
                std::hint::black_box(host::get());
            }
        }
    }
}

fn unreachable_instruction() {
    core::arch::wasm32::unreachable();
}

fn allocate_forever() {
    let mut blocks = Vec::new();
    loop {
        blocks.push(std::hint::black_box(vec![1u8; 1 << 20]));
    }
}

/// Misbehaves as the environment variable for `export` says, if the host granted one.
fn misbehave_if_told(export: &str) {
    if let Some(behaviour) = std::env::var(Behaviour::variable(export))
        .ok()
        .and_then(|name| Behaviour::from_name(&name))
    {
        misbehave(behaviour);
    }
}

struct Component;

impl Guest for Component {
    fn just_add(a: u64, b: u64) -> u64 {
        misbehave_if_told("just-add");
        a.wrapping_add(b)
    }

    fn point_add(a: Point, b: Point) -> Point {
        misbehave_if_told("point-add");
        Point {
            x: a.x.wrapping_add(b.x),
            y: a.y.wrapping_add(b.y),
        }
    }

    fn trigger(input: i32) {
        misbehave_if_told("trigger");
        match Behaviour::from_input(input) {
            Some(behaviour) => misbehave(behaviour),
            None => host::log(input),
        }
    }
}

export!(Component);
