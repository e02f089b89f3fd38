//! The limit flags, which map one to one onto [`plugin_host::Limits`].

use std::time::Duration;

use clap::Args;
use plugin_host::Limits;

/// Resource limits for every plugin this run loads. The defaults are the library's.
#[derive(Args)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Wall-clock time one call may take, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = duration_ms(Limits::default().deadline))]
    deadline_ms: u64,

    /// Fuel (about one per wasm instruction) one call may burn; no metering if not given.
    #[arg(long, value_name = "UNITS")]
    fuel: Option<u64>,

    /// Bytes one linear memory may grow to, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = Limits::default().memory_bytes >> 20)]
    max_memory_mib: usize,

    /// Elements one table may hold.
    #[arg(long, value_name = "N", default_value_t = Limits::default().table_elements)]
    max_table_elements: usize,

    /// Core instances one store may hold.
    #[arg(long, value_name = "N", default_value_t = Limits::default().instances)]
    max_instances: usize,

    /// Linear memories one store may hold.
    #[arg(long, value_name = "N", default_value_t = Limits::default().memories)]
    max_memories: usize,

    /// Tables one store may hold.
    #[arg(long, value_name = "N", default_value_t = Limits::default().tables)]
    max_tables: usize,

    /// Wasm stack one call may use, in KiB.
    #[arg(long, value_name = "KIB", default_value_t = Limits::default().max_wasm_stack >> 10)]
    max_stack_kib: usize,

    /// Strings and lists the host lifts from a component guest in one call, in KiB.
    #[arg(long, value_name = "KIB", default_value_t = Limits::default().lifted_bytes >> 10)]
    max_lifted_kib: usize,

    /// Captured stdout, and separately stderr, per instance, in KiB.
    #[arg(long, value_name = "KIB", default_value_t = Limits::default().output_bytes >> 10)]
    max_output_kib: usize,

    /// Component-model handles (resources, subtasks, streams, futures) a store may hold.
    #[arg(long, value_name = "N", default_value_t = Limits::default().component_handles)]
    max_component_handles: usize,
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl LimitArgs {
    /// The limits these flags ask for. Sizes saturate rather than overflow.
    pub fn limits(&self) -> Limits {
        Limits {
            deadline: Duration::from_millis(self.deadline_ms),
            fuel: self.fuel,
            memory_bytes: self.max_memory_mib.saturating_mul(1 << 20),
            table_elements: self.max_table_elements,
            instances: self.max_instances,
            memories: self.max_memories,
            tables: self.max_tables,
            max_wasm_stack: self.max_stack_kib.saturating_mul(1 << 10),
            lifted_bytes: self.max_lifted_kib.saturating_mul(1 << 10),
            output_bytes: self.max_output_kib.saturating_mul(1 << 10),
            component_handles: self.max_component_handles,
        }
    }
}
