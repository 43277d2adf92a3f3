//! Writing bundles to `dist/`. A slug's bundle is assembled in a staging folder, reusing unchanged
//! files by hard link, and swapped in with one atomic rename, so a reader or a failed build never
//! sees a half-written bundle. Build state (input fingerprints) lives in `dist/.portalgen/`,
//! outside every bundle.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::OutputFile;
use super::manifest::{IndexEntry, MANIFEST_PATH, Manifest};

const STATE_DIR: &str = ".portalgen";

/// What a build recorded about a slug, to recognise an unchanged one next time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlugState {
    pub fingerprint: String,
    pub entry: IndexEntry,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct WriteStats {
    pub written: usize,
    pub unchanged: usize,
}

pub struct Output {
    root: PathBuf,
    replace: Replace,
}

/// How a changed bundle that exists already is updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// Assembled in a staging folder and swapped in at once: for hosts and uploads.
    Whole,
    /// Only the changed files, each written whole, new assets before the pages that use them
    /// and old files removed last: for the dev server, where rebuilding the folder tree on every
    /// edit would cost more than the edit's rendering.
    ChangedFiles,
}

impl Output {
    /// Opens `root` for writing and clears staging folders an interrupted build left behind.
    pub fn open(root: &Path, replace: Replace) -> io::Result<Self> {
        fs::create_dir_all(root.join(STATE_DIR).join("state"))?;
        let staging = root.join(STATE_DIR).join("staging");
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        Ok(Output {
            root: root.to_path_buf(),
            replace,
        })
    }

    fn state_path(&self, slug: &str) -> PathBuf {
        self.root
            .join(STATE_DIR)
            .join("state")
            .join(format!("{slug}.json"))
    }

    pub fn read_state(&self, slug: &str) -> Option<SlugState> {
        serde_json::from_slice(&fs::read(self.state_path(slug)).ok()?).ok()
    }

    pub fn save_state(&self, slug: &str, state: &SlugState) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(state).map_err(io::Error::other)?;
        write_if_changed(&self.state_path(slug), &json).map(|_| ())
    }

    /// Whether `slug` was last built from `fingerprint` and its files are all still in place.
    pub fn is_current(&self, slug: &str, fingerprint: &str) -> Option<SlugState> {
        let state = self
            .read_state(slug)
            .filter(|s| s.fingerprint == fingerprint)?;
        let dir = self.root.join(slug);
        let manifest: Manifest =
            serde_json::from_slice(&fs::read(dir.join(MANIFEST_PATH)).ok()?).ok()?;
        let intact = manifest.files.iter().all(|(path, entry)| {
            fs::metadata(dir.join(path)).is_ok_and(|m| m.is_file() && m.len() == entry.size)
        });
        intact.then_some(state)
    }

    /// Replaces the bundle of `slug` with `files` (which include the manifest), rewriting only
    /// files whose content changed. What is on disk counts, not what the old manifest says, so
    /// a deleted or altered file is restored.
    pub fn write_bundle(&self, slug: &str, files: &[OutputFile]) -> io::Result<WriteStats> {
        let target = self.root.join(slug);
        let exists = target.is_dir();
        let on_disk = |file: &OutputFile| {
            exists && fs::read(target.join(&file.path)).is_ok_and(|old| *old == *file.content)
        };
        let unchanged: Vec<bool> = files.iter().map(on_disk).collect();
        if exists && unchanged.iter().all(|u| *u) && count_files(&target) == files.len() {
            return Ok(WriteStats {
                written: 0,
                unchanged: files.len(),
            });
        }
        if exists && self.replace == Replace::ChangedFiles {
            return update_changed_files(&target, files, &unchanged);
        }

        let staging = self.root.join(STATE_DIR).join("staging").join(slug);
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        fs::create_dir_all(&staging)?;
        // Every folder once, parents first: cheaper than `create_dir_all` per file.
        let folders: BTreeSet<&str> = files
            .iter()
            .flat_map(|f| f.path.match_indices('/').map(|(end, _)| &f.path[..end]))
            .collect();
        for folder in folders {
            fs::create_dir(staging.join(folder))?;
        }
        let mut stats = WriteStats::default();
        for (file, unchanged) in files.iter().zip(unchanged) {
            let dest = staging.join(&file.path);
            if unchanged && fs::hard_link(target.join(&file.path), &dest).is_ok() {
                stats.unchanged += 1;
            } else {
                fs::write(&dest, file.content.as_slice())?;
                stats.written += 1;
            }
        }
        swap_in(&staging, &target)?;
        Ok(stats)
    }

    /// Removes the (empty) staging folder once the build is done.
    pub fn close(&self) -> io::Result<()> {
        let staging = self.root.join(STATE_DIR).join("staging");
        if staging.exists() {
            fs::remove_dir_all(staging)?;
        }
        Ok(())
    }

    /// The index entries of every slug with a bundle in the output folder.
    pub fn index_entries(&self) -> io::Result<Vec<IndexEntry>> {
        let mut entries = Vec::new();
        for entry in fs::read_dir(self.root.join(STATE_DIR).join("state"))? {
            let path = entry?.path();
            let Some(slug) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            if let Some(state) = self
                .read_state(slug)
                .filter(|_| self.root.join(slug).is_dir())
            {
                entries.push(state.entry);
            }
        }
        entries.sort_by(|a, b| a.slug.cmp(&b.slug));
        Ok(entries)
    }

    /// Writes `dist/index.json` when its content changed.
    pub fn write_index(&self, json: &[u8]) -> io::Result<bool> {
        write_if_changed(&self.root.join(super::manifest::INDEX_PATH), json)
    }

    /// Removes bundles portalgen built for slugs no tenant config lists any more.
    pub fn prune(&self, keep: &BTreeSet<String>) -> io::Result<Vec<String>> {
        let mut removed = Vec::new();
        for entry in fs::read_dir(self.root.join(STATE_DIR).join("state"))? {
            let path = entry?.path();
            let Some(slug) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
                continue;
            };
            if keep.contains(&slug) || slug.starts_with('.') || slug.contains(['/', '\\']) {
                continue;
            }
            let dir = self.root.join(&slug);
            if dir.is_dir() {
                fs::remove_dir_all(&dir)?;
            }
            fs::remove_file(&path)?;
            removed.push(slug);
        }
        removed.sort();
        Ok(removed)
    }
}

/// Writes the changed files of an existing bundle in place (each through a temporary file and a
/// rename), assets first and the manifest last, then removes files the bundle no longer has.
fn update_changed_files(
    target: &Path,
    files: &[OutputFile],
    unchanged: &[bool],
) -> io::Result<WriteStats> {
    let rank = |path: &str| match path {
        MANIFEST_PATH => 3,
        p if p.starts_with("assets/") => 0,
        p if p.ends_with(".html") => 2,
        _ => 1,
    };
    let mut changed: Vec<&OutputFile> = files
        .iter()
        .zip(unchanged)
        .filter(|(_, unchanged)| !**unchanged)
        .map(|(file, _)| file)
        .collect();
    changed.sort_by_key(|f| rank(&f.path));
    for file in &changed {
        let dest = target.join(&file.path);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent)?;
        }
        let mut temp = dest.clone().into_os_string();
        temp.push(".tmp-portalgen");
        fs::write(&temp, file.content.as_slice())?;
        fs::rename(&temp, &dest)?;
    }
    let keep: BTreeSet<PathBuf> = files.iter().map(|f| target.join(&f.path)).collect();
    for entry in walkdir::WalkDir::new(target)
        .contents_first(true)
        .into_iter()
        .filter_map(Result::ok)
    {
        let path = entry.path();
        if entry.file_type().is_dir() {
            // Fails, as intended, while the folder still holds files.
            let _ = fs::remove_dir(path);
        } else if !keep.contains(path) {
            fs::remove_file(path)?;
        }
    }
    Ok(WriteStats {
        written: changed.len(),
        unchanged: files.len() - changed.len(),
    })
}

fn count_files(dir: &Path) -> usize {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .count()
}

/// Puts `staging` at `target` in one step: an atomic exchange where the OS has one, then removes
/// the previous bundle.
fn swap_in(staging: &Path, target: &Path) -> io::Result<()> {
    if !target.exists() {
        return fs::rename(staging, target);
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        if renameat_with(CWD, staging, CWD, target, RenameFlags::EXCHANGE).is_ok() {
            return fs::remove_dir_all(staging);
        }
    }
    // Fallback: two renames, with the previous bundle kept until the new one is in place.
    let previous = staging.with_extension("previous");
    fs::rename(target, &previous)?;
    if let Err(err) = fs::rename(staging, target) {
        fs::rename(&previous, target)?;
        return Err(err);
    }
    fs::remove_dir_all(previous)
}

/// Writes `bytes` to `path` unless it already holds exactly them; true when it wrote.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let temp = path.with_extension("tmp-portalgen");
    fs::write(&temp, bytes)?;
    fs::rename(&temp, path)?;
    Ok(true)
}
