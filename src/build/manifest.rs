//! `manifest.json` (every file of a bundle with hash and size, so a deploy uploads only what
//! changed) and `dist/index.json` (every slug).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::files::OutputFile;

pub const MANIFEST_PATH: &str = "manifest.json";
pub const INDEX_PATH: &str = "index.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub slug: String,
    pub files: BTreeMap<String, ManifestEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub sha256: String,
    pub size: u64,
}

impl Manifest {
    pub fn of(slug: &str, files: &[OutputFile]) -> Self {
        Manifest {
            slug: slug.to_owned(),
            files: files
                .iter()
                .map(|f| {
                    (
                        f.path.clone(),
                        ManifestEntry {
                            sha256: f.hash_hex(),
                            size: f.content.len() as u64,
                        },
                    )
                })
                .collect(),
        }
    }

    pub fn to_file(&self) -> OutputFile {
        let mut json = serde_json::to_vec_pretty(self).unwrap_or_default();
        json.push(b'\n');
        OutputFile::new(MANIFEST_PATH, json)
    }
}

/// One slug in `dist/index.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexEntry {
    pub slug: String,
    pub org: String,
    pub organization_name: String,
    pub plan_name: String,
    pub theme: String,
    pub locales: Vec<String>,
    pub default_locale: String,
    pub url: String,
    pub files: usize,
    pub manifest_sha256: String,
}

#[derive(Debug, Serialize)]
pub struct Index<'a> {
    pub generator: &'static str,
    pub slugs: Vec<&'a IndexEntry>,
}

pub fn index_json(entries: &[IndexEntry]) -> Vec<u8> {
    let index = Index {
        generator: concat!("portalgen ", env!("CARGO_PKG_VERSION")),
        slugs: entries.iter().collect(),
    };
    let mut json = serde_json::to_vec_pretty(&index).unwrap_or_default();
    json.push(b'\n');
    json
}
