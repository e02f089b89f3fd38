//! The book, `docs/src`, as doctests: `cargo test -p plugin-host-book` compiles every Rust
//! snippet of every chapter, and runs those that need no plugin file (`no_run` marks the ones
//! that do). The README's snippet is here too.
#![doc = include_str!("../README.md")]

#[doc = include_str!("src/introduction.md")]
pub mod introduction {}

#[doc = include_str!("src/getting-started.md")]
pub mod getting_started {}

#[doc = include_str!("src/embedding.md")]
pub mod embedding {}

#[doc = include_str!("src/architecture.md")]
pub mod architecture {}

#[doc = include_str!("src/async.md")]
pub mod async_calls {}

#[doc = include_str!("src/security.md")]
pub mod security {}

#[doc = include_str!("src/errors.md")]
pub mod errors {}

#[doc = include_str!("src/by-name.md")]
pub mod by_name {}

#[doc = include_str!("src/chains.md")]
pub mod chains {}

#[doc = include_str!("src/hot-reload.md")]
pub mod hot_reload {}

#[doc = include_str!("src/observability.md")]
pub mod observability {}

#[doc = include_str!("src/contract.md")]
pub mod contract {}

#[doc = include_str!("src/extending.md")]
pub mod extending {}

#[doc = include_str!("src/rust-plugins.md")]
pub mod rust_plugins {}

#[doc = include_str!("src/other-languages.md")]
pub mod other_languages {}

#[doc = include_str!("src/core-modules.md")]
pub mod core_modules {}

#[doc = include_str!("src/cli.md")]
pub mod cli {}

#[doc = include_str!("src/performance.md")]
pub mod performance {}

#[doc = include_str!("src/development.md")]
pub mod development {}
