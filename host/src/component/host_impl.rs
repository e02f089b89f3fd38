//! The host's implementation of the world's imports.

use super::bindings::example::plugin::{host, types};
use crate::state::HostState;

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
}

impl types::Host for HostState {}
