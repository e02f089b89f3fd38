//! A component of the `test:escape` world (`wit/escape.wit`): it tries, with the standard
//! library, whatever the test asks (files, directories, the network, the environment), and
//! reports what it got or the error. The sandbox tests grant it little and check that
//! everything else is refused.
//!
//! Build it with `cargo build --release --target wasm32-wasip2 -p escape-plugin`.

/// Rust bindings for the world, generated from the WIT; its items are documented there.
#[allow(missing_docs, reason = "generated code; the WIT documents it")]
mod bindings {
    wit_bindgen::generate!({
        world: "escape",
        path: "wit",
    });
}

use std::fs;
use std::io::Write;
use std::net::{TcpListener, TcpStream, ToSocketAddrs, UdpSocket};

struct Component;

impl bindings::Guest for Component {
    fn attempt(action: String, target: String) -> Result<String, String> {
        let error = |error: std::io::Error| format!("{error} ({:?})", error.kind());
        match action.as_str() {
            "read" => fs::read_to_string(&target).map_err(error),
            "write" => fs::write(&target, "escaped")
                .map(|()| "written".into())
                .map_err(error),
            "create" => fs::File::create_new(&target)
                .and_then(|mut file| file.write_all(b"escaped"))
                .map(|()| "created".into())
                .map_err(error),
            "rename" => {
                let (from, to) = target.split_once('>').ok_or("target FROM>TO")?;
                fs::rename(from, to)
                    .map(|()| "renamed".into())
                    .map_err(error)
            }
            "remove" => fs::remove_file(&target)
                .map(|()| "removed".into())
                .map_err(error),
            "mkdir" => fs::create_dir(&target)
                .map(|()| "made".into())
                .map_err(error),
            "rmdir" => fs::remove_dir(&target)
                .map(|()| "removed".into())
                .map_err(error),
            "list" => fs::read_dir(&target)
                .and_then(|entries| {
                    let names: Result<Vec<_>, _> = entries
                        .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
                        .collect();
                    names
                })
                .map(|mut names| {
                    names.sort();
                    names.join(",")
                })
                .map_err(error),
            "tcp-connect" => TcpStream::connect(&target)
                .and_then(|mut stream| stream.write_all(b"escaped"))
                .map(|()| "connected".into())
                .map_err(error),
            "tcp-listen" => TcpListener::bind(&target)
                .and_then(|listener| listener.local_addr())
                .map(|address| format!("listening on {address}"))
                .map_err(error),
            "udp-send" => UdpSocket::bind("0.0.0.0:0")
                .and_then(|socket| socket.send_to(b"escaped", &target))
                .map(|sent| format!("sent {sent} bytes"))
                .map_err(error),
            "lookup" => (target.as_str(), 80)
                .to_socket_addrs()
                .map(|addresses| format!("{:?}", addresses.collect::<Vec<_>>()))
                .map_err(error),
            "env" => {
                let mut vars: Vec<String> =
                    std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
                vars.sort();
                Ok(vars.join(","))
            }
            "args" => Ok(std::env::args().collect::<Vec<_>>().join(",")),
            other => Err(format!("no action {other}")),
        }
    }
}

bindings::export!(Component with_types_in bindings);
