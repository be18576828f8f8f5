//! Makes sure the State design system (npm package `@gouvfr/dsfr`, pinned in
//! `assets/package-lock.json`) is installed before the crate embeds its files.
//! `npm ci` runs only when `node_modules` is missing or older than the lock file.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=assets/package.json");
    println!("cargo:rerun-if-changed=assets/package-lock.json");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let assets = Path::new(&manifest).join("assets");
    let marker = assets.join("node_modules/.package-lock.json");
    let dsfr = assets.join("node_modules/@gouvfr/dsfr/dist/dsfr.min.css");
    let lock = assets.join("package-lock.json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let stale = match (modified(&marker), modified(&lock)) {
        (Some(installed), Some(locked)) => installed < locked,
        _ => true,
    };
    if dsfr.exists() && !stale {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        .current_dir(&assets)
        .status();
    match status {
        Ok(s) if s.success() && dsfr.exists() => {}
        Ok(s) => panic!(
            "`npm ci` in {} failed ({s}): the DSFR assets are needed to build QeP",
            assets.display()
        ),
        Err(e) => panic!(
            "cannot run `npm` ({e}): install Node.js and npm (Debian: apt-get install nodejs npm) to build QeP"
        ),
    }
}
