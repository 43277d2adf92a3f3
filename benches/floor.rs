//! The floor of a build: the time this machine needs merely to create a given tree of
//! directories and files, with no rendering at all.
//!
//! Standalone on purpose (no crates): `benches/build_bench.py` compiles it with
//! `rustc -O --edition 2021 benches/floor.rs -o floor`.
//!
//! Usage: floor <list-file> <source-root> <dest-root> <threads>
//!
//! `<list-file>` holds one '/'-separated path per line, relative to `<source-root>`. Every file's
//! size is read first (not timed); the files are written with that many bytes from one buffer, not
//! with their own content: the kernel's work does not depend on the bytes, and holding all 1.3 GB
//! of them left the floor itself short of free memory, so its timed writes paid for reclaiming
//! page cache that a build (60 MB) does not need. Then, timed: the list is split into
//! `<threads>` contiguous chunks (the list is sorted, so each thread gets whole plan slugs, like
//! the build's per-slug parallelism) and each thread creates the parent folders it has not made
//! yet (as the build does, with `create_dir_all` and a set of folders already made) and writes
//! each file with `fs::write`.
//! No fsync, no rename: just mkdir + create + write + close. `<dest-root>` must not exist yet.
//!
//! Prints one JSON object: files, dirs (parent folders), bytes, threads, seconds, files_per_s,
//! and user_s / sys_s: the CPU time of the timed phase.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: floor <list-file> <source-root> <dest-root> <threads>");
        std::process::exit(2);
    }
    let list = fs::read_to_string(&args[1]).expect("cannot read the list file");
    let source = Path::new(&args[2]);
    let dest = PathBuf::from(&args[3]);
    let threads: usize = args[4].parse().expect("threads must be a number");
    assert!(threads >= 1, "threads must be at least 1");
    assert!(!dest.exists(), "the destination must not exist yet");

    // Untimed: every file's path and size, and one buffer as large as the largest file.
    let files: Vec<(PathBuf, usize)> = list
        .lines()
        .filter(|l| !l.is_empty())
        .map(|rel| {
            let meta =
                fs::metadata(source.join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"));
            (dest.join(rel), meta.len() as usize)
        })
        .collect();
    let bytes: usize = files.iter().map(|(_, size)| size).sum();
    let largest = files.iter().map(|(_, size)| *size).max().unwrap_or(0);
    let content = vec![b' '; largest];
    let content = content.as_slice();
    fs::create_dir_all(&dest).expect("cannot create the destination");

    // Timed: mkdir + write.
    let chunk = files.len().div_ceil(threads).max(1);
    let cpu_before = cpu_times();
    let started = Instant::now();
    let dirs: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(move || write_all(part, content)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a writer panicked"))
            .sum()
    });
    let seconds = started.elapsed().as_secs_f64();
    let cpu_after = cpu_times();

    println!(
        "{{\"files\": {}, \"dirs\": {}, \"bytes\": {}, \"threads\": {}, \"seconds\": {:.6}, \"files_per_s\": {:.1}, \"user_s\": {:.3}, \"sys_s\": {:.3}}}",
        files.len(),
        dirs,
        bytes,
        threads,
        seconds,
        files.len() as f64 / seconds,
        cpu_after.0 - cpu_before.0,
        cpu_after.1 - cpu_before.1,
    );
}

/// User and system CPU seconds of this process (all threads) so far, from getrusage(2).
#[cfg(target_os = "linux")]
fn cpu_times() -> (f64, f64) {
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Timeval {
        sec: i64,
        usec: i64,
    }
    #[repr(C)]
    struct Rusage {
        utime: Timeval,
        stime: Timeval,
        rest: [i64; 14],
    }
    unsafe extern "C" {
        fn getrusage(who: i32, usage: *mut Rusage) -> i32;
    }
    let mut usage = Rusage {
        utime: Timeval { sec: 0, usec: 0 },
        stime: Timeval { sec: 0, usec: 0 },
        rest: [0; 14],
    };
    // RUSAGE_SELF = 0: every thread of the process.
    if unsafe { getrusage(0, &mut usage) } != 0 {
        return (f64::NAN, f64::NAN);
    }
    let secs = |t: Timeval| t.sec as f64 + t.usec as f64 / 1e6;
    (secs(usage.utime), secs(usage.stime))
}

#[cfg(not(target_os = "linux"))]
fn cpu_times() -> (f64, f64) {
    (f64::NAN, f64::NAN)
}

/// Writes `files`, each with its size in bytes of `content`; returns how many parent folders this
/// thread created (or found).
fn write_all(files: &[(PathBuf, usize)], content: &[u8]) -> usize {
    let mut made: HashSet<&Path> = HashSet::new();
    for (path, size) in files {
        if let Some(parent) = path.parent() {
            if made.insert(parent) {
                fs::create_dir_all(parent)
                    .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
            }
        }
        fs::write(path, &content[..*size])
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
    made.len()
}
