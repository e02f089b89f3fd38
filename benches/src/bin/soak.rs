//! The soak (`just soak`): threads call a mix of good and hostile plugins, 100 distinct plugin
//! files in a watched directory, while a tenth of the files are replaced every second. It ends
//! with every good call answered right and every hostile one its typed failure, and checks that
//! the process's resources stay flat after warm-up: resident memory, open file descriptors,
//! mapped regions and threads, sampled every second and printed.
//!
//! `soak [SECONDS]` (default 60). Exits 1 naming what went wrong.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use std::{fs, thread};

use example_host::{ContractPlugin, ExampleHost};
use plugin_artifacts::{Behaviour, COMPONENT_GUEST, HOSTILE_GUEST};
use plugin_host::watch::{Event, PluginDirectory};
use plugin_host::{Failure, HostConfig, Limit, Limits};
use wasm_encoder::{CustomSection, Section};

/// Plugin files in the directory; the first [`HOSTILE`] of them are the hostile plugin's.
const FILES: usize = 100;
const HOSTILE: usize = 20;
/// Threads calling plugins.
const CALLERS: usize = 4;
/// Files replaced every second.
const REPLACED_PER_SECOND: usize = FILES / 10;
/// The part of the run that is warm-up: resources are compared with their level at its end.
const WARM_UP: f64 = 0.25;

/// What the hostile plugin is told to do, and the failure each must end in.
const HOSTILE_CALLS: [(Behaviour, Failure); 4] = [
    (
        Behaviour::Unreachable,
        Failure::Trap(plugin_host::Trap::UnreachableCodeReached),
    ),
    (Behaviour::Spin, Failure::Timeout),
    (Behaviour::AllocateForever, Failure::Limit(Limit::Memory)),
    (Behaviour::Recurse, Failure::StackOverflow),
];

/// How far each resource may grow between the end of warm-up and the end of the run.
struct Bounds;
impl Bounds {
    /// Resident memory: a quarter more, plus 32 MiB for allocator slack.
    fn rss(warm: u64) -> u64 {
        warm + warm / 4 + (32 << 20)
    }
    /// Open file descriptors: 16 more (a reload in flight holds the file it reads).
    fn fds(warm: u64) -> u64 {
        warm + 16
    }
    /// Mapped regions: a quarter more, plus 64 (compiled code of reloads in flight).
    fn maps(warm: u64) -> u64 {
        warm + warm / 4 + 64
    }
}

/// One sample of the process's resources.
#[derive(Clone, Copy, Debug)]
struct Sample {
    at: Duration,
    rss: u64,
    fds: u64,
    maps: u64,
    threads: u64,
}

fn sample(start: Instant) -> Sample {
    let count = |dir: &str| fs::read_dir(dir).map_or(0, |entries| entries.count() as u64);
    let maps = fs::read_to_string("/proc/self/maps").map_or(0, |maps| maps.lines().count() as u64);
    Sample {
        at: start.elapsed(),
        rss: plugin_artifacts::resident_bytes().unwrap_or(0),
        fds: count("/proc/self/fd"),
        maps,
        threads: count("/proc/self/task"),
    }
}

/// The threads of the library and its watcher still running: the epoch ticker and notify's.
fn library_threads() -> Vec<String> {
    let ours = |name: &String| name.starts_with("plugin-host") || name.starts_with("notify");
    thread_names().into_iter().filter(ours).collect()
}

/// The names of this process's threads.
fn thread_names() -> Vec<String> {
    let tasks = fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten();
    let name = |task: fs::DirEntry| fs::read_to_string(task.path().join("comm")).ok();
    tasks
        .filter_map(name)
        .map(|name| name.trim().to_owned())
        .collect()
}

/// `wasm` with a custom section `soak` holding `tag` appended: the same plugin in distinct
/// bytes, so that every file is compiled on its own.
fn tagged(wasm: &[u8], tag: &str) -> Vec<u8> {
    let section = CustomSection {
        name: "soak".into(),
        data: tag.as_bytes().into(),
    };
    let mut bytes = wasm.to_vec();
    section.append_to(&mut bytes);
    bytes
}

fn file_name(index: usize) -> String {
    format!("plugin-{index:03}.wasm")
}

/// Writes file `index` of `dir`, generation `generation`, as a deployment replaces a plugin
/// (`plugin_artifacts::replace`): into `NAME.part` beside it, renamed over it.
fn write_plugin(dir: &Path, sources: &[Vec<u8>; 2], index: usize, generation: u64) {
    let source = &sources[usize::from(index >= HOSTILE)];
    let bytes = tagged(source, &format!("{index}/{generation}"));
    let temporary = dir.join(format!("{}.part", file_name(index)));
    fs::write(&temporary, bytes).expect("the soak directory is writable");
    fs::rename(&temporary, dir.join(file_name(index))).expect("rename in place");
}

/// Calls plugin file `index` once, and says what went wrong, if anything.
fn call(plugins: &PluginDirectory<ContractPlugin>, index: usize, turn: u64) -> Result<(), String> {
    let name = file_name(index);
    let plugin = plugins
        .get(&name)
        .ok_or_else(|| format!("{name} is not loaded"))?;
    let mut instance = plugin.instantiate().map_err(|error| format!("{error:#}"))?;
    if index < HOSTILE {
        let (behaviour, expected) = HOSTILE_CALLS[turn as usize % HOSTILE_CALLS.len()];
        match instance.trigger(behaviour.input()) {
            Err(error) if error.failure() == Some(expected) => Ok(()),
            other => Err(format!(
                "{name} {behaviour:?}: {other:?}, expected {expected:?}"
            )),
        }
    } else {
        let (a, b) = (turn, index as u64);
        match instance.just_add(a, b) {
            Ok(sum) if sum == a + b => Ok(()),
            other => Err(format!("{name} just-add({a}, {b}): {other:?}")),
        }
    }
}

fn main() -> ExitCode {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    match soak(Duration::from_secs(seconds)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("soak failed: {message}");
            ExitCode::FAILURE
        }
    }
}

fn soak(duration: Duration) -> Result<(), String> {
    let before = sample(Instant::now());
    let dir = std::env::temp_dir().join(format!("plugin-host-soak-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
    let read = |path: &str| fs::read(path).map_err(|error| format!("{path}: {error}"));
    let sources = [read(HOSTILE_GUEST)?, read(COMPONENT_GUEST)?];
    for index in 0..FILES {
        write_plugin(&dir, &sources, index, 0);
    }

    let host = Arc::new(
        ExampleHost::with_config(HostConfig {
            limits: Limits {
                deadline: Duration::from_millis(250),
                memory_bytes: 8 << 20,
                max_wasm_stack: 256 << 10,
                ..Limits::default()
            },
            ..HostConfig::default()
        })
        .map_err(|error| format!("{error:#}"))?,
    );
    let loader = host.clone();
    let loading = Instant::now();
    let plugins = Arc::new(
        PluginDirectory::watch(&dir, move |path| loader.load_component(path))
            .map_err(|error| format!("{error:#}"))?,
    );
    println!(
        "{} plugin files loaded in {:.1} s; calling for {} s",
        plugins.names().len(),
        loading.elapsed().as_secs_f64(),
        duration.as_secs()
    );
    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let (calls, reloads) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let wrong: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut threads = Vec::new();
    for caller in 0..CALLERS {
        let (plugins, stop, calls, wrong) =
            (plugins.clone(), stop.clone(), calls.clone(), wrong.clone());
        threads.push(thread::spawn(move || {
            let mut turn = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // 37 is prime to 100: each caller goes through every file.
                let index = (turn as usize * 37 + caller * 13) % FILES;
                if let Err(message) = call(&plugins, index, turn) {
                    wrong.lock().unwrap().push(message);
                }
                calls.fetch_add(1, Ordering::Relaxed);
                turn += 1;
            }
        }));
    }
    {
        // The events: reloads counted, failures to load are wrong.
        let (plugins, stop, reloads, wrong) = (
            plugins.clone(),
            stop.clone(),
            reloads.clone(),
            wrong.clone(),
        );
        threads.push(thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match plugins.next_event(Duration::from_millis(100)) {
                    Some(Event::Reloaded { .. }) => {
                        reloads.fetch_add(1, Ordering::Relaxed);
                    }
                    Some(event @ Event::Failed { .. }) => {
                        wrong.lock().unwrap().push(format!("{event:?}"))
                    }
                    _ => {}
                }
            }
        }));
    }

    let mut samples = Vec::new();
    let mut generation = 0;
    while start.elapsed() < duration {
        thread::sleep(Duration::from_secs(1));
        generation += 1;
        for k in 0..REPLACED_PER_SECOND {
            let index = (generation as usize * REPLACED_PER_SECOND + k) % FILES;
            write_plugin(&dir, &sources, index, generation);
        }
        samples.push(sample(start));
    }
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread
            .join()
            .map_err(|_| "a soak thread panicked".to_owned())?;
    }
    drop(plugins);
    drop(host);
    // The watcher's thread ends at its next tick, and with it the last reference to the
    // engine; the epoch ticker notices at its own next tick. Give both two seconds.
    let gone = Instant::now() + Duration::from_secs(2);
    let mut left = library_threads();
    while !left.is_empty() && Instant::now() < gone {
        thread::sleep(Duration::from_millis(20));
        left = library_threads();
    }
    let after = sample(start);
    let _ = fs::remove_dir_all(&dir);

    println!(
        "{:>6} {:>10} {:>5} {:>6} {:>8}",
        "s", "RSS MiB", "fds", "maps", "threads"
    );
    for s in &samples {
        println!(
            "{:>6.0} {:>10.1} {:>5} {:>6} {:>8}",
            s.at.as_secs_f64(),
            s.rss as f64 / f64::from(1 << 20),
            s.fds,
            s.maps,
            s.threads
        );
    }
    let wrong = wrong.lock().unwrap();
    let calls = calls.load(Ordering::Relaxed);
    let reloads = reloads.load(Ordering::Relaxed);
    println!(
        "{calls} calls ({HOSTILE} of {FILES} files hostile), {reloads} reloads, {} wrong; \
         threads {} before, {} after the host is dropped: {:?} (the process-wide pools of \
         wasmtime's parallel compilation and wasmtime-wasi's runtime stay)",
        wrong.len(),
        before.threads,
        after.threads,
        thread_names()
    );
    let mut problems: Vec<String> = wrong.iter().take(10).cloned().collect();
    let warm = samples
        .get(((samples.len() as f64) * WARM_UP) as usize)
        .copied()
        .ok_or("the run was too short to sample")?;
    let last = *samples.last().expect("at least the warm sample");
    let mut check = |what: &str, warm: u64, last: u64, bound: u64| {
        println!("{what}: {warm} after warm-up, {last} at the end, bound {bound}");
        if last > bound {
            problems.push(format!("{what} grew from {warm} to {last}, over {bound}"));
        }
    };
    check("resident bytes", warm.rss, last.rss, Bounds::rss(warm.rss));
    check(
        "open file descriptors",
        warm.fds,
        last.fds,
        Bounds::fds(warm.fds),
    );
    check(
        "mapped regions",
        warm.maps,
        last.maps,
        Bounds::maps(warm.maps),
    );
    if !left.is_empty() {
        problems.push(format!("threads left behind: {left:?}"));
    }
    if reloads == 0 {
        problems.push("no file was reloaded".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}
