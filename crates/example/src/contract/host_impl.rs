//! The host's side of the contract's imports, once for every 0.1 plugin: wasmtime's linker
//! serves a 0.1.0 plugin's `host@0.1.0` import from these `host@0.1.1` functions.

use super::latest::{host, types};
use crate::HostState;

impl host::Host for HostState {
    fn log(&mut self, value: i32) {
        HostState::log(self, value);
    }

    fn get(&mut self) -> i32 {
        HostState::get(self)
    }

    fn set(&mut self, value: i32) {
        HostState::set(self, value);
    }

    fn log_message(&mut self, level: types::Level, message: String) {
        HostState::log_message(self, level, message);
    }
}

impl types::Host for HostState {}
