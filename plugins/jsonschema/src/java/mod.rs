//! What Java does to values on their way through Confluent's serializer: how its numbers print
//! and in which order a `HashMap` gives back its keys.

pub mod hash_map;
pub mod number;
