//! Values a plugin derives from its configuration (parsed rules, users, keys), built on first
//! use and kept: an instance's configuration never changes, since krest serves a changed
//! `NAME.toml` with new instances. In native tests, [`crate::testing::set_config`] starts over.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

#[cfg(feature = "transform")]
use crate::transform::exports::krest::plugin::transformer::{KafkaRecord, Outcome};

/// Configuration pairs, as [`crate::config`] gives them.
type Pairs = Rc<[(String, String)]>;

/// A value built from the configuration, with the configuration generation it was built for.
type Built = (u64, Rc<dyn Any>);

thread_local! {
    /// The configuration, with the generation it was fetched in.
    static PAIRS: RefCell<Option<(u64, Pairs)>> = const { RefCell::new(None) };
    /// By type: the configuration generation a value was built for, and the value.
    static BUILT: RefCell<HashMap<TypeId, Built>> = RefCell::new(HashMap::new());
}

/// The configuration, asked of the host on first use.
pub(crate) fn pairs() -> Pairs {
    let generation = crate::host::config_generation();
    PAIRS.with_borrow_mut(|kept| match kept {
        Some((built_for, pairs)) if *built_for == generation => Rc::clone(pairs),
        _ => {
            let pairs: Pairs = crate::host::fetch_config().into();
            *kept = Some((generation, Rc::clone(&pairs)));
            pairs
        }
    })
}

/// `build`'s value for this instance's configuration, built once. Values are kept by type:
/// give each kind of value its own type (a newtype if need be). Mutable state goes in a
/// `RefCell` inside `T`.
pub fn configured<T: 'static>(build: impl FnOnce(&[(String, String)]) -> T) -> Rc<T> {
    let generation = crate::host::config_generation();
    let kept = BUILT.with_borrow(|built| {
        built
            .get(&TypeId::of::<T>())
            .filter(|(built_for, _)| *built_for == generation)
            .map(|(_, value)| Rc::clone(value))
    });
    if let Some(value) = kept.and_then(|value| value.downcast::<T>().ok()) {
        return value;
    }
    let value = Rc::new(build(&pairs()));
    BUILT.with_borrow_mut(|built| {
        built.insert(TypeId::of::<T>(), (generation, Rc::clone(&value) as Rc<dyn Any>))
    });
    value
}

/// A transform's batch with settings parsed by `parse` (once per instance): `each` decides
/// every record; when the configuration does not parse, every record fails with
/// `NAME.toml: <error>`, which is also logged.
#[cfg(feature = "transform")]
pub fn each_record<S: 'static>(
    name: &str,
    parse: impl FnOnce(&[(String, String)]) -> Result<S, String>,
    records: Vec<KafkaRecord>,
    mut each: impl FnMut(&S, KafkaRecord) -> Outcome,
) -> Vec<Outcome> {
    match &*configured(parse) {
        Ok(settings) => records.into_iter().map(|record| each(settings, record)).collect(),
        Err(message) => {
            let message = format!("{name}.toml: {message}");
            crate::log(crate::Level::Error, &message);
            records.iter().map(|_| Outcome::Error(message.clone())).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::configured;
    use crate::testing::set_config;

    struct Rules(Vec<String>);

    fn rules() -> std::rc::Rc<Rules> {
        configured(|config| Rules(config.iter().map(|(_, v)| v.clone()).collect()))
    }

    #[test]
    fn built_once_per_configuration() {
        set_config(&[("rules.a", "allow")]);
        let first = rules();
        assert_eq!(first.0, ["allow"]);
        assert!(std::rc::Rc::ptr_eq(&first, &rules()), "kept, not built again");
        set_config(&[("rules.a", "deny")]);
        assert_eq!(rules().0, ["deny"], "a new configuration builds anew");
    }
}
