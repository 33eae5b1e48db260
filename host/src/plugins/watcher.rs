//! Watches `plugins.dir` (notify, debounced) and hands changed plugin names to the catalog,
//! which compiles them on a blocking thread. Only events that can change what a file holds
//! count ([`changes_content`]): the catalog's own reads must not schedule a reload.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use super::catalog::{plugin_name, PluginCatalog};
use crate::file_changes::changes_content;

/// Quiet time after the last event before a name is reloaded: lets a copy finish.
const DEBOUNCE: Duration = Duration::from_millis(100);

/// Starts watching; changes apply until the returned watcher is dropped.
pub fn watch(catalog: Arc<PluginCatalog>) -> anyhow::Result<Option<RecommendedWatcher>> {
    let Some(dir) = catalog.dir().map(|d| d.to_path_buf()) else {
        return Ok(None);
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
        Ok(event) if changes_content(&event.kind) => event
            .paths
            .iter()
            .filter_map(|p| plugin_name(p))
            .for_each(|name| {
                tx.send(name).ok();
            }),
        Ok(_) => {}
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
                let catalog = Arc::clone(&catalog);
                tokio::task::spawn_blocking(move || catalog.sync(&name))
                    .await
                    .ok();
            }
        }
    });
    Ok(Some(watcher))
}
