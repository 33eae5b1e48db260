//! Compiled plugins kept on disk (`plugins.cache.dir`), so that a restart loads each plugin in
//! milliseconds instead of compiling it again. An entry is named by the plugin's SHA-256 and
//! the engine's compatibility hash, written aside and renamed into place; an entry that
//! cannot be read is compiled again, and a cache that cannot be written is only logged.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};

use tracing::warn;
use wasmtime::component::Component;
use wasmtime::Engine;

pub struct CompileCache {
    dir: Option<PathBuf>,
}

impl CompileCache {
    /// `dir`: where compiled plugins are kept; `None` compiles every time.
    pub fn new(dir: Option<PathBuf>) -> Self {
        CompileCache { dir }
    }

    /// The component of `bytes` (whose SHA-256 is `sha256`), from the cache or compiled.
    pub fn component(&self, engine: &Engine, bytes: &[u8], sha256: &str) -> wasmtime::Result<Component> {
        let Some(dir) = &self.dir else {
            return Component::new(engine, bytes);
        };
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let path = dir.join(format!("{sha256}-{:016x}.cwasm", hasher.finish()));
        // SAFETY: entries are only written by krest, to a directory only its user may write
        // (created 0700), under the SHA-256 of the bytes they were compiled from; wasmtime
        // checks the header (version and engine settings) and refuses a mismatch.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
            return Ok(component);
        }
        let component = Component::new(engine, bytes)?;
        if let Err(e) = store(dir, &path, &component) {
            warn!("cannot keep the compiled plugin in {}: {e}", dir.display());
        }
        Ok(component)
    }
}

fn store(dir: &Path, path: &Path, component: &Component) -> anyhow::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let aside = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&aside, component.serialize()?)?;
    std::fs::rename(&aside, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_component_is_loaded_back_and_a_corrupt_entry_recompiled() {
        let dir = std::env::temp_dir().join(format!("krest-compiled-{}", std::process::id()));
        let engine = Engine::default();
        let text = b"(component)";
        let cache = CompileCache::new(Some(dir.clone()));
        cache.component(&engine, text, "abc").unwrap();
        let entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert!(entries[0]
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("abc-"));
        cache.component(&engine, text, "abc").unwrap();
        std::fs::write(&entries[0], b"garbage").unwrap();
        cache.component(&engine, text, "abc").unwrap();
        assert_ne!(std::fs::read(&entries[0]).unwrap(), b"garbage", "rewritten");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
