//! Watches `plugins.dir` (notify, debounced) and hands changed plugin names to the registry,
//! which compiles them on a blocking thread.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use super::registry::{plugin_name, PluginRegistry};

/// Quiet time after the last event before a name is reloaded: lets a copy finish.
const DEBOUNCE: Duration = Duration::from_millis(100);

/// Starts watching; changes apply until the returned watcher is dropped.
pub fn watch(registry: Arc<PluginRegistry>) -> anyhow::Result<Option<RecommendedWatcher>> {
    let Some(dir) = registry.dir().map(|d| d.to_path_buf()) else {
        return Ok(None);
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
        Ok(event) => event
            .paths
            .iter()
            .filter_map(|p| plugin_name(p))
            .for_each(|name| {
                tx.send(name).ok();
            }),
        Err(e) => tracing::warn!("plugin directory watch error: {e}"),
    })?;
    watcher
        .watch(&dir, RecursiveMode::NonRecursive)
        .map_err(|e| anyhow::anyhow!("cannot watch plugins.dir {}: {e}", dir.display()))?;
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut names = BTreeSet::from([first]);
            while let Ok(Some(name)) = tokio::time::timeout(DEBOUNCE, rx.recv()).await {
                names.insert(name);
            }
            for name in names {
                let registry = Arc::clone(&registry);
                tokio::task::spawn_blocking(move || registry.sync(&name))
                    .await
                    .ok();
            }
        }
    });
    Ok(Some(watcher))
}
