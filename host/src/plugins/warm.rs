//! Instances of one plugin version kept warm between calls (`plugins.instances.reuse`): a
//! call takes an idle instance or makes one, and gives it back only when the call ended
//! cleanly, so an instance that trapped, timed out or ran out of memory is dropped with
//! whatever state it had. A replaced plugin's idle instances go with it.

use std::sync::Mutex;

use wasmtime::Store;

use super::bindings::{auth::Auth, format::Format, transform::Transform};
use super::state::CallState;

/// An instantiated plugin, typed by world.
pub enum Instance {
    Format(Format),
    Auth(Auth),
    Transform(Transform),
}

impl Instance {
    pub fn format(&self) -> wasmtime::Result<&Format> {
        match self {
            Instance::Format(format) => Ok(format),
            _ => Err(wasmtime::Error::msg("is not a format plugin")),
        }
    }

    pub fn auth(&self) -> wasmtime::Result<&Auth> {
        match self {
            Instance::Auth(auth) => Ok(auth),
            _ => Err(wasmtime::Error::msg("is not an auth plugin")),
        }
    }

    pub fn transform(&self) -> wasmtime::Result<&Transform> {
        match self {
            Instance::Transform(transform) => Ok(transform),
            _ => Err(wasmtime::Error::msg("is not a transform plugin")),
        }
    }
}

/// A Store with its instance (`None` until the first call instantiates it).
pub struct Warm {
    pub store: Store<CallState>,
    pub instance: Option<Instance>,
}

/// Idle instances of one plugin version.
#[derive(Default)]
pub struct WarmPool {
    idle: Mutex<Vec<Warm>>,
}

impl WarmPool {
    pub fn take(&self) -> Option<Warm> {
        self.idle.lock().expect("warm pool lock").pop()
    }

    /// Keeps `warm` for the next call, unless `most` instances are idle already.
    pub fn give_back(&self, warm: Warm, most: usize) {
        let mut idle = self.idle.lock().expect("warm pool lock");
        if idle.len() < most {
            idle.push(warm);
        }
    }
}
