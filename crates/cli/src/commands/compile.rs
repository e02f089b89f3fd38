//! `plugin-host compile`: a precompiled artifact of a plugin.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use plugin_host::Grants;

use crate::common::{EXIT_LOAD_ERROR, EngineArgs, Output, json, print_error, print_or_stop};

/// Precompile a plugin into an artifact that `run --allow-precompiled` loads without
/// compiling.
///
/// The plugin is checked against the world or the ABI first. The artifact only loads in a
/// host with the same wasmtime version and engine settings: pass `run` the same limit flags
/// (fuel and stack size change the machine code).
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    plugin-host compile guest.wasm -o guest.cwasm\n  \
    plugin-host run --allow-precompiled guest.cwasm")]
pub struct Compile {
    /// The plugin to compile: a component or a core module.
    plugin: PathBuf,

    /// Where to write the artifact.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,

    #[command(flatten)]
    engine: EngineArgs,
}

impl Compile {
    /// Writes the artifact and says what it wrote (or JSON).
    pub fn execute(self, output: Output) -> ExitCode {
        let (plugin, artifact_path) = (&self.plugin, &self.output);
        let artifact = self
            .engine
            .host(Grants::default())
            .and_then(|host| host.precompile(plugin));
        match artifact {
            Ok(artifact) => match plugin_host::precompiled::write(artifact_path, &artifact) {
                Ok(()) => {
                    let written = serde_json::json!({
                        "artifact": artifact_path.display().to_string(),
                        "bytes": artifact.len(),
                        "plugin": plugin.display().to_string(),
                    });
                    print_or_stop(|out| {
                        if output.json {
                            json(out, &written)
                        } else {
                            writeln!(
                                out,
                                "wrote {} ({} bytes), precompiled from {}",
                                artifact_path.display(),
                                artifact.len(),
                                plugin.display()
                            )
                        }
                    });
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!(
                        "error: failed to write {}: {error}",
                        artifact_path.display()
                    );
                    ExitCode::from(EXIT_LOAD_ERROR)
                }
            },
            Err(error) => {
                print_error(&error);
                ExitCode::from(EXIT_LOAD_ERROR)
            }
        }
    }
}
