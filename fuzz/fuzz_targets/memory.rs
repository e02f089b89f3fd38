//! The core-module memory reader (`core_module::memory`): reads and writes at any guest
//! address and length succeed exactly when they are inside linear memory, and do what a
//! plain byte array beside it does.
#![no_main]

use libfuzzer_sys::{arbitrary, fuzz_target};
use plugin_host::core_module::memory::{self, OutOfBounds};
use plugin_host::wasmtime::{Engine, Memory, MemoryType, Store};

#[derive(arbitrary::Arbitrary, Debug)]
enum Access {
    Read { ptr: i32, len: u16 },
    Write { ptr: i32, data: Vec<u8> },
    Grow,
}

fuzz_target!(|input: (u8, Vec<Access>)| {
    let (pages, accesses) = input;
    let pages = u64::from(pages % 3);
    let mut store = Store::new(&Engine::default(), ());
    let memory = Memory::new(&mut store, MemoryType::new(pages as u32, Some(3))).unwrap();
    let mut shadow = vec![0u8; memory.data_size(&store)];
    for access in accesses {
        match access {
            Access::Read { ptr, len } => {
                let address = memory::address(ptr);
                let mut buffer = vec![0; usize::from(len)];
                let result = memory::read(&memory, &store, address, &mut buffer);
                match shadow
                    .get(address as usize..)
                    .and_then(|rest| rest.get(..buffer.len()))
                {
                    Some(expected) => {
                        assert_eq!(result, Ok(()));
                        assert_eq!(buffer, expected);
                    }
                    None => assert_eq!(
                        result,
                        Err(OutOfBounds {
                            address,
                            len: buffer.len()
                        })
                    ),
                }
            }
            Access::Write { ptr, data } => {
                let address = memory::address(ptr);
                let result = memory::write(&memory, &mut store, address, &data);
                match shadow
                    .get_mut(address as usize..)
                    .and_then(|rest| rest.get_mut(..data.len()))
                {
                    Some(target) => {
                        assert_eq!(result, Ok(()));
                        target.copy_from_slice(&data);
                    }
                    None => assert_eq!(
                        result,
                        Err(OutOfBounds {
                            address,
                            len: data.len()
                        })
                    ),
                }
            }
            Access::Grow => {
                if memory.grow(&mut store, 1).is_ok() {
                    shadow.resize(memory.data_size(&store), 0);
                }
            }
        }
    }
    assert_eq!(memory.data(&store), &shadow[..]);
});
