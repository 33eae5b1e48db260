//! Watches `plugins.dir` (notify, debounced) and hands changed plugin names to the catalog,
//! which compiles them on a blocking thread. Only events that can change what a file holds
//! count: the catalog's own reads raise access events, which must not schedule a reload.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use super::catalog::{plugin_name, PluginCatalog};

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

/// Whether an event can mean a file appeared, vanished, was renamed or got new content. Opens,
/// reads, closes without writing and metadata changes (atime, permissions) cannot.
fn changes_content(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Create(_)
            | EventKind::Remove(_)
            | EventKind::Modify(ModifyKind::Any | ModifyKind::Data(_) | ModifyKind::Name(_))
            | EventKind::Access(AccessKind::Close(AccessMode::Write))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, MetadataKind, RemoveKind, RenameMode};

    #[test]
    fn writes_renames_and_removals_count_but_reads_do_not() {
        for kind in [
            EventKind::Create(CreateKind::File),
            EventKind::Remove(RemoveKind::File),
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
        ] {
            assert!(changes_content(&kind), "{kind:?}");
        }
        for kind in [
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Access(AccessKind::Read),
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)),
        ] {
            assert!(!changes_content(&kind), "{kind:?}");
        }
    }
}
