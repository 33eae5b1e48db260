//! One linker per world: WASI p2 (granting nothing) plus the krest host interfaces.

use wasmtime::component::{HasSelf, Linker};
use wasmtime::Engine;

use super::bindings::{auth::Auth, format::Format, transform::Transform};
use super::state::CallState;

pub struct Linkers {
    pub format: Linker<CallState>,
    pub auth: Linker<CallState>,
    pub transform: Linker<CallState>,
}

impl Linkers {
    pub fn new(engine: &Engine) -> anyhow::Result<Self> {
        let base = || -> anyhow::Result<Linker<CallState>> {
            let mut linker = Linker::new(engine);
            wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
            Ok(linker)
        };
        let mut format = base()?;
        Format::add_to_linker::<_, HasSelf<_>>(&mut format, |state| state)?;
        let mut auth = base()?;
        Auth::add_to_linker::<_, HasSelf<_>>(&mut auth, |state| state)?;
        let mut transform = base()?;
        Transform::add_to_linker::<_, HasSelf<_>>(&mut transform, |state| state)?;
        Ok(Linkers {
            format,
            auth,
            transform,
        })
    }
}
