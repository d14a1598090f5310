//! Hot reload: when a source file of the workspace changes, `cargo build --bins` runs and
//! every function whose binary changed gets fresh instances (between events, so nothing
//! in flight is lost).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::config::Config;
use crate::runtime::Pool;

/// The newest modification time of the .rs / .toml files under `dirs`.
fn newest(dirs: &[PathBuf]) -> SystemTime {
    fn walk(dir: &Path, newest: &mut SystemTime) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, newest);
            } else if path.extension().is_some_and(|e| e == "rs" || e == "toml") {
                if let Ok(modified) = entry.metadata().and_then(|m| m.modified()) {
                    *newest = (*newest).max(modified);
                }
            }
        }
    }
    let mut t = SystemTime::UNIX_EPOCH;
    for d in dirs {
        walk(d, &mut t);
    }
    t
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

pub async fn rebuild_and_reload(config: Config, bin_dir: PathBuf, pools: BTreeMap<String, Arc<Pool>>) {
    let mut sources: Vec<PathBuf> = config
        .functions
        .values()
        .map(|f| PathBuf::from(&f.code_uri))
        .collect();
    sources.push("shared".into());
    let mut seen = newest(&sources);
    let mut binaries: BTreeMap<String, Option<SystemTime>> = config
        .functions
        .iter()
        .map(|(name, f)| (name.clone(), modified(&bin_dir.join(&f.binary))))
        .collect();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = newest(&sources);
        if now <= seen {
            continue;
        }
        seen = now;
        println!("ordergate-local: sources changed, cargo build --bins");
        let built = tokio::process::Command::new("cargo")
            .args(["build", "--bins"])
            .status()
            .await
            .is_ok_and(|s| s.success());
        if !built {
            println!("ordergate-local: build failed; still serving the previous binaries");
            continue;
        }
        for (name, f) in &config.functions {
            let m = modified(&bin_dir.join(&f.binary));
            if binaries.get(name) != Some(&m) {
                binaries.insert(name.clone(), m);
                println!("ordergate-local: reloading {name}");
                pools[name].reload();
            }
        }
    }
}
