//! Cost of a format plugin call: ns per record through the Wasm `json` and `binary` plugins
//! versus the same codecs called natively, for batches of 1 and 100 records, with a fresh
//! instance per call and with warm instances (`plugins.instances.reuse`).
//!
//! Run: `cargo bench -p krest --bench format_plugins`

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use krest::config::PluginLimits;
use krest::plugins::bindings::codec::{DecodeContext, EncodeContext, Part};
use krest::plugins::catalog::PluginCatalog;
use krest::plugins::runtime::PluginRuntime;
use krest_format_binary::Binary;
use krest_format_json::Json;
use krest_plugin_sdk::simple::{decode_batch, encode_batch, SimpleFormat};

/// A ~70-byte JSON record, as in docs/toolchain-notes.
const JSON_RECORD: &str = r#"{"id":12345,"name":"krest","tags":["kafka","rest"],"price":12.5,"ok":true}"#;
const BINARY_RECORD: &str = "\"a3Jlc3QgaXMgYSBLYWZrYSBSRVNUIHByb3h5IHdyaXR0ZW4gaW4gUnVzdA==\"";
const MEASURE_FOR: Duration = Duration::from_secs(2);

/// Runs `body` (one batch) repeatedly for MEASURE_FOR; returns ns per record.
async fn per_record<F: AsyncFnMut()>(batch: usize, mut body: F) -> f64 {
    for _ in 0..50 {
        body().await;
    }
    let started = Instant::now();
    let mut batches = 0u64;
    while started.elapsed() < MEASURE_FOR {
        body().await;
        batches += 1;
    }
    started.elapsed().as_nanos() as f64 / (batches as f64 * batch as f64)
}

async fn compare<F: SimpleFormat>(registry: &PluginCatalog, instances: &str, name: &str, record: &str) {
    let plugin = registry.format(name).expect("built-in format");
    let runtime = registry.runtime();
    let encode_context = EncodeContext {
        topic: "bench",
        part: Part::Value,
        schema: None,
    };
    let decode_context = DecodeContext {
        topic: "bench",
        part: Part::Value,
    };
    for batch in [1usize, 100] {
        let values: Vec<Option<String>> = vec![Some(record.to_string()); batch];
        let encoded = encode_batch::<F>(values.clone());
        let bytes: Vec<Option<Vec<u8>>> = encoded.iter().map(|r| r.clone().unwrap()).collect();
        let value_refs: Vec<Option<&str>> = values.iter().map(Option::as_deref).collect();
        let byte_refs: Vec<Option<&[u8]>> = bytes.iter().map(Option::as_deref).collect();

        let wasm_encode = per_record(batch, async || {
            black_box(
                runtime
                    .encode(&plugin, encode_context.clone(), &value_refs)
                    .await
                    .unwrap()
                    .unwrap(),
            );
        })
        .await;
        let native_encode = per_record(batch, async || {
            black_box(encode_batch::<F>(black_box(values.clone())));
        })
        .await;
        let wasm_decode = per_record(batch, async || {
            black_box(
                runtime
                    .decode(&plugin, decode_context.clone(), &byte_refs)
                    .await
                    .unwrap(),
            );
        })
        .await;
        let native_decode = per_record(batch, async || {
            black_box(decode_batch::<F>(black_box(bytes.clone())));
        })
        .await;
        println!(
            "| {instances} | {name} | {batch} | encode | {wasm_encode:.0} | {native_encode:.0} | {:.1}x |",
            wasm_encode / native_encode
        );
        println!(
            "| {instances} | {name} | {batch} | decode | {wasm_decode:.0} | {native_decode:.0} | {:.1}x |",
            wasm_decode / native_decode
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!("ns per record, Wasm plugin call vs the same codec natively");
    println!();
    println!("| instances | format | batch | op | wasm ns/record | native ns/record | ratio |");
    println!("|---|---|---|---|---|---|---|");
    for (reuse_instances, instances) in [(false, "fresh per call"), (true, "warm")] {
        let limits = PluginLimits {
            call_timeout: Duration::from_secs(1),
            memory_max_bytes: 64 << 20,
            max_instances: 128,
            reuse_instances,
            fresh_plugins: Vec::new(),
        };
        let cache = std::env::temp_dir().join("krest-bench-plugins");
        let runtime = Arc::new(PluginRuntime::new(limits, Some(cache), None)?);
        let registry = tokio::task::spawn_blocking(move || PluginCatalog::new(runtime, None)).await??;
        compare::<Json>(&registry, instances, "json", JSON_RECORD).await;
        compare::<Binary>(&registry, instances, "binary", BINARY_RECORD).await;
    }
    Ok(())
}
