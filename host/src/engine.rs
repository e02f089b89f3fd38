//! The wasmtime `Engine` configuration the host uses, and its epoch ticker.

use std::thread;

use wasmtime::{Config, Engine};

use crate::Limits;

/// Builds the engine every plugin of a [`crate::PluginHost`] is compiled and run with, and
/// starts its epoch ticker.
///
/// wasmtime's defaults, with the component model on (it is needed for component plugins) and
/// the engine-wide mechanisms of `limits` (epoch interruption, stack size, fuel if set).
pub(crate) fn new_engine(limits: &Limits) -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    limits.configure(&mut config);
    let engine = Engine::new(&config)?;
    start_epoch_ticker(&engine)?;
    Ok(engine)
}

/// Starts a thread that advances `engine`'s epoch every [`Limits::EPOCH_TICK`], which is what
/// makes a running call notice its deadline. The thread holds only a weak reference and ends
/// once the engine is gone (the host, and every plugin and instance made from it).
fn start_epoch_ticker(engine: &Engine) -> wasmtime::Result<()> {
    let engine = engine.weak();
    thread::Builder::new()
        .name("plugin-host-epoch".into())
        .spawn(move || {
            loop {
                thread::sleep(Limits::EPOCH_TICK);
                match engine.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })?;
    Ok(())
}
