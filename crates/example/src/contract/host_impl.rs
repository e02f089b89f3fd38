//! The host's side of the contract's imports, once per semver line of the contract
//! (`line_0_1`: the newest 0.1 version's bindings): wasmtime's linker serves a 0.1.0 or 0.1.1
//! plugin's `host` import from these functions of the newest 0.1 version. A breaking version
//! (`0.2.0`) whose interfaces keep these functions' shapes gets its own with one more
//! `host_impl!` line.
//!
//! They are implemented on the store's whole state, `ComponentState<HostState>`, so that the
//! `path` resource reaches the instance's table of host resources
//! ([`ComponentState::resources`]); the rest acts on [`HostState`] through
//! [`ComponentState::data_mut`].

use plugin_host::component::ComponentState;

use crate::HostState;

/// The store state the contract's host functions run on.
pub(crate) type State = ComponentState<HostState>;

/// Implements the host traits of the interfaces in `$line` (the bindings module of a line's
/// newest version, `super::line_0_1::example::plugin`) for [`State`].
macro_rules! host_impl {
    ($line:path) => {
        const _: () = {
            use std::time::Duration;

            use plugin_host::wasmtime;
            use plugin_host::wasmtime::component::{Accessor, HasSelf, Resource};

            use $crate::contract::Polyline;
            use $crate::contract::host_impl::State;
            use $line::{host, timer, types};

            impl host::Host for State {
                fn log(&mut self, value: i32) {
                    self.data_mut().log(value);
                }

                fn get(&mut self) -> i32 {
                    self.data_mut().get()
                }

                fn set(&mut self, value: i32) {
                    self.data_mut().set(value);
                }

                fn log_message(&mut self, level: types::Level, message: String) {
                    self.data_mut().log_message(level, message);
                }
            }

            /// A `path` lives in the instance's table of host resources: gone with the
            /// instance, and at once after a failed call.
            impl host::HostPath for State {
                /// Traps when the table is full (wasmtime's `ResourceTable` holds a million
                /// entries).
                fn new(&mut self) -> wasmtime::Result<Resource<Polyline>> {
                    Ok(self.resources().push(Polyline::default())?)
                }

                fn push(&mut self, path: Resource<Polyline>, p: types::Point) {
                    if let Ok(path) = self.resources().get_mut(&path) {
                        path.0.push(p);
                    }
                }

                fn len(&mut self, path: Resource<Polyline>) -> u32 {
                    self.resources()
                        .get(&path)
                        .map_or(0, |path| u32::try_from(path.0.len()).unwrap_or(u32::MAX))
                }

                fn points(&mut self, path: Resource<Polyline>) -> Vec<types::Point> {
                    self.resources()
                        .get(&path)
                        .map(|path| path.0.clone())
                        .unwrap_or_default()
                }

                fn drop(&mut self, path: Resource<Polyline>) -> wasmtime::Result<()> {
                    self.resources().delete(path)?;
                    Ok(())
                }
            }

            impl timer::Host for State {}

            impl<T> timer::HostWithStore<T> for HasSelf<State> {
                /// Waits on the runtime's timer: the calling thread is free meanwhile.
                async fn sleep(_: &Accessor<T, Self>, ms: u32) {
                    tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
                }
            }
        };
    };
}

host_impl!(super::line_0_1::example::plugin);

// `types` has no functions: nothing to implement but the trait, once for the interface (a
// later line that shares it through `contract!`'s `with` shares this too).
impl super::line_0_1::example::plugin::types::Host for State {}

/// Links the imports of `$line` (as [`host_impl!`] takes it) into `$host`: `types` and `host`
/// on both of the library's engines, the async `timer` only on the one with the component
/// model's async ABI.
macro_rules! link_line {
    ($host:expr, $line:path) => {{
        use plugin_host::wasmtime::component::HasSelf;
        use $crate::contract::host_impl::State;
        use $line::{host, timer, types};
        $host.link_state(|linker, state| {
            types::add_to_linker::<_, HasSelf<State>>(linker, state)?;
            host::add_to_linker::<_, HasSelf<State>>(linker, state)
        })?;
        $host.link_concurrent(timer::add_to_linker::<_, HasSelf<State>>)?;
    }};
}

pub(crate) use link_line;
