//! One module per command: its arguments, its work and its output.

pub mod call;
pub mod compile;
pub mod inspect;
pub mod run;
pub mod watch;
