//! Bounds-checked access to a core module's linear memory.
//!
//! Guest pointers are `i32`s; the host reads them as unsigned offsets (`ptr as u32`), computes
//! `offset + len` with `checked_add`, and goes through `Memory::read`/`Memory::write`, which
//! check against the memory's current size. No access can panic or touch anything outside the
//! guest's memory, whatever the guest passes.

use wasmtime::{AsContext, AsContextMut, Memory};

/// An access outside linear memory: `address..address + len` is not inside it (or overflows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{len} bytes at guest address {address:#x} are outside linear memory")]
pub struct OutOfBounds {
    /// The guest address.
    pub address: u32,
    /// The length of the access in bytes.
    pub len: usize,
}

/// The unsigned offset a guest's `i32` pointer stands for: wasm32 addresses are `u32`, so a
/// "negative" `i32` is an address in the upper half.
pub fn address(ptr: i32) -> u32 {
    ptr as u32
}

/// Fills `buffer` from guest memory starting at `address`.
///
/// # Errors
/// [`OutOfBounds`] if any byte of `address..address + buffer.len()` is outside the memory.
pub fn read(
    memory: &Memory,
    store: impl AsContext,
    address: u32,
    buffer: &mut [u8],
) -> Result<(), OutOfBounds> {
    let len = buffer.len();
    let start = checked_start(address, len)?;
    memory
        .read(store, start, buffer)
        .map_err(|_| OutOfBounds { address, len })
}

/// Writes `data` into guest memory starting at `address`.
///
/// # Errors
/// [`OutOfBounds`] if any byte of `address..address + data.len()` is outside the memory; then
/// nothing is written.
pub fn write(
    memory: &Memory,
    store: impl AsContextMut,
    address: u32,
    data: &[u8],
) -> Result<(), OutOfBounds> {
    let len = data.len();
    let start = checked_start(address, len)?;
    memory
        .write(store, start, data)
        .map_err(|_| OutOfBounds { address, len })
}

/// The start offset of `address..address + len`; out of bounds at once when the end overflows
/// `usize`. Whether the range fits the memory is `Memory::read`/`write`'s check.
fn checked_start(address: u32, len: usize) -> Result<usize, OutOfBounds> {
    let start = address as usize;
    match start.checked_add(len) {
        Some(_) => Ok(start),
        None => Err(OutOfBounds { address, len }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::{Engine, MemoryType, Store};

    fn one_page() -> (Store<()>, Memory) {
        let mut store = Store::new(&Engine::default(), ());
        let memory = Memory::new(&mut store, MemoryType::new(1, Some(1))).expect("memory");
        (store, memory)
    }

    #[test]
    fn reads_and_writes_up_to_the_last_byte() {
        let (mut store, memory) = one_page();
        write(&memory, &mut store, 65_532, &[1, 2, 3, 4]).expect("in bounds");
        let mut buffer = [0; 4];
        read(&memory, &store, 65_532, &mut buffer).expect("in bounds");
        assert_eq!(buffer, [1, 2, 3, 4]);
    }

    #[test]
    fn rejects_accesses_past_the_end_or_wrapping() {
        let (mut store, memory) = one_page();
        let mut buffer = [0; 4];
        assert_eq!(
            read(&memory, &store, 65_533, &mut buffer),
            Err(OutOfBounds {
                address: 65_533,
                len: 4
            })
        );
        assert!(write(&memory, &mut store, address(-1), &[0; 4]).is_err());
        assert!(read(&memory, &store, u32::MAX, &mut buffer).is_err());
        assert_eq!(address(-1), u32::MAX);
    }

    proptest::proptest! {
        #[test]
        fn an_access_fails_exactly_when_it_leaves_memory(
            address in proptest::prelude::any::<u32>(),
            len in 0usize..=2 * 65_536,
        ) {
            let (mut store, memory) = one_page();
            let fits = u64::from(address) + len as u64 <= 65_536;
            let expected = if fits { Ok(()) } else { Err(OutOfBounds { address, len }) };
            let mut buffer = vec![0; len];
            proptest::prop_assert_eq!(read(&memory, &store, address, &mut buffer), expected);
            proptest::prop_assert_eq!(write(&memory, &mut store, address, &buffer), expected);
        }

        #[test]
        fn addresses_near_the_top_fail_even_when_wrapping(
            address in (u32::MAX - 64)..=u32::MAX,
            len in 0usize..=64,
        ) {
            let (mut store, memory) = one_page();
            let expected = Err(OutOfBounds { address, len });
            let mut buffer = vec![0; len];
            proptest::prop_assert_eq!(read(&memory, &store, address, &mut buffer), expected);
            proptest::prop_assert_eq!(write(&memory, &mut store, address, &buffer), expected);
        }
    }
}
