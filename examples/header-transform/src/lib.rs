//! Example `transform` plugin: adds the header `x-krest-via` (value from the plugin's
//! `via` setting, default `krest`) to every produced record; consumed records pass unchanged.
//!
//! Build: `cargo build -p krest-example-header --target wasm32-wasip2 --profile plugin`

use krest_plugin_sdk::transform::exports::krest::plugin::transformer::{
    Direction, Guest, Header, KafkaRecord, Outcome,
};

pub struct StampHeader;

impl Guest for StampHeader {
    fn apply(direction: Direction, records: Vec<KafkaRecord>) -> Vec<Outcome> {
        if direction == Direction::Consume {
            return records.iter().map(|_| Outcome::Keep).collect();
        }
        let via = krest_plugin_sdk::config_value("via").unwrap_or_else(|| "krest".to_string());
        records
            .into_iter()
            .map(|mut record| {
                record.headers.push(Header {
                    name: "x-krest-via".into(),
                    value: Some(via.clone().into_bytes()),
                });
                Outcome::Replace(record)
            })
            .collect()
    }
}

krest_plugin_sdk::export_transform!(StampHeader);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn produced_records_get_the_header() {
        krest_plugin_sdk::testing::set_config(&[("via", "edge-1")]);
        let record = KafkaRecord {
            topic: "t".into(),
            partition: None,
            offset: None,
            key: None,
            value: Some(b"v".to_vec()),
            headers: vec![],
            timestamp: None,
        };
        match &StampHeader::apply(Direction::Produce, vec![record.clone()])[0] {
            Outcome::Replace(out) => assert_eq!(out.headers[0].value.as_deref(), Some(&b"edge-1"[..])),
            _ => panic!("expected a replacement"),
        }
        assert!(matches!(
            StampHeader::apply(Direction::Consume, vec![record])[0],
            Outcome::Keep
        ));
    }
}
