//! Sampling a plugin's guest code with wasmtime's [`GuestProfiler`], into a profile the Firefox
//! Profiler opens (<https://profiler.firefox.com>, its "processed profile format").
//!
//! A [`Profiler`] is made for one plugin ([`Plugin::profiler`](crate::Plugin::profiler)) and
//! attached to one instance ([`Instance::profile`](crate::Instance::profile)) or to every
//! instance the plugin makes from then on ([`Plugin::profile`](crate::Plugin::profile)). While
//! attached, each call samples the guest's stack at every epoch
//! tick ([`Limits::EPOCH_TICK`](crate::Limits::EPOCH_TICK), so every 10 ms) instead of only
//! checking its deadline; the deadline still holds. [`Profiler::finish`] writes the profile.
//! Only the plugin's own modules appear in it (wasmtime's rule: host frames and other plugins'
//! code are left out, so a profile is safe to hand to the plugin's author); of a chain of
//! components, the last one, whose exports are called.
//!
//! Sampling is at function entries and loop headers, where wasmtime checks the epoch, and
//! only while guest code runs (not during host calls). Blocking calls only.

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use wasmtime::{GuestProfiler, Store, UpdateDeadline};

use crate::instance::Budget;
use crate::{Error, ErrorKind, Limits};

/// The compiled code a plugin runs: what a profile of it may show.
#[doc(hidden)]
#[derive(Clone)]
pub enum Code {
    Component(wasmtime::component::Component),
    CoreModule(wasmtime::Module),
}

/// A profile being sampled from one plugin's instances. Cheap to clone: clones share the
/// profile. See the [module docs](self).
#[derive(Clone)]
pub struct Profiler {
    plugin: Arc<str>,
    /// `None` once finished.
    profile: Arc<Mutex<Option<GuestProfiler>>>,
}

impl Profiler {
    /// A profiler of the plugin `plugin`, whose code is `code`.
    pub(crate) fn new(
        plugin: Arc<str>,
        engine: &wasmtime::Engine,
        code: &[Code],
    ) -> Result<Self, Error> {
        let modules = code.iter().filter_map(|code| match code {
            Code::CoreModule(module) => {
                Some((module.name().unwrap_or(&plugin).to_owned(), module.clone()))
            }
            Code::Component(_) => None,
        });
        // wasmtime profiles one component (its core modules), beside any core modules: in a
        // chain of components, the last one, whose exports are called.
        let component = code.iter().rev().find_map(|code| match code {
            Code::Component(component) => Some(component.clone()),
            Code::CoreModule(_) => None,
        });
        let interval = Limits::EPOCH_TICK;
        let profiler = match component {
            Some(component) => {
                GuestProfiler::new_component(engine, &plugin, interval, component, modules)
            }
            None => GuestProfiler::new(engine, &plugin, interval, modules),
        }
        .map_err(|source| Error::wasmtime(ErrorKind::Setup, &plugin, source))?;
        Ok(Self {
            plugin,
            profile: Arc::new(Mutex::new(Some(profiler))),
        })
    }

    /// Writes the profile to `out` as JSON in the Firefox Profiler's processed format, and
    /// stops sampling: instances it is attached to run unsampled from then on.
    ///
    /// # Errors
    /// [`ErrorKind::Setup`] naming the plugin if the profile was already finished (by this
    /// profiler or a clone) or cannot be written to `out`.
    pub fn finish(&self, out: impl Write) -> Result<(), Error> {
        let profiler = self.lock().take().ok_or_else(|| {
            Error::wasmtime(
                ErrorKind::Setup,
                &self.plugin,
                wasmtime::format_err!("the profile was already finished"),
            )
        })?;
        profiler
            .finish(out)
            .map_err(|source| Error::wasmtime(ErrorKind::Setup, &self.plugin, source))
    }

    /// Makes the next call on `store` sample into this profile at every epoch tick, counting
    /// the ticks of `budget`'s deadline down itself; returns the budget the call must run
    /// under (a deadline of one tick, which the sampler renews).
    pub(crate) fn sample<S: 'static>(&self, store: &mut Store<S>, budget: Budget) -> Budget {
        let profile = self.profile.clone();
        let mut ticks_left = budget.deadline_ticks;
        let mut last = Instant::now();
        store.epoch_deadline_callback(move |context| {
            let now = Instant::now();
            let profile = profile.lock();
            if let Some(profiler) = profile.unwrap_or_else(|p| p.into_inner()).as_mut() {
                profiler.sample(&context, now - last);
            }
            last = now;
            ticks_left = ticks_left.saturating_sub(1);
            Ok(match ticks_left {
                0 => UpdateDeadline::Interrupt,
                _ => UpdateDeadline::Continue(1),
            })
        });
        Budget {
            deadline_ticks: 1,
            ..budget
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<GuestProfiler>> {
        // Sampling never panics while holding the lock in a way that breaks the profile.
        self.profile
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for Profiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profiler")
            .field("plugin", &self.plugin)
            .finish_non_exhaustive()
    }
}
