//! Confluent's `api.v3.produce.rate.limit.*`: v3 produce records per second and their bytes
//! per second, for the whole process (`….global.per.sec`) and per cluster (krest serves one);
//! a record over a limit is answered 429 in its place and not produced.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;

use crate::config::ProduceRateLimits;
use crate::error::ApiError;

/// The limits a record must pass, in Confluent's order: global before per cluster.
pub struct ProduceRateLimiter {
    /// (records, bytes) buckets; empty when `api.v3.produce.rate.limit.enabled=false`.
    buckets: Vec<(Bucket, Bucket)>,
}

impl ProduceRateLimiter {
    pub fn new(limits: Option<ProduceRateLimits>) -> Self {
        let buckets = limits.map_or_else(Vec::new, |l| {
            vec![
                (Bucket::new(l.global_records), Bucket::new(l.global_bytes)),
                (Bucket::new(l.records), Bucket::new(l.bytes)),
            ]
        });
        ProduceRateLimiter { buckets }
    }

    /// Admits one record of `bytes` (its JSON in the request), or refuses it with
    /// Confluent's 429 (`error_code` 429).
    pub fn admit(&self, bytes: usize) -> Result<(), ApiError> {
        let now = Instant::now();
        for (records, volume) in &self.buckets {
            if !records.try_take(1.0, now) || !volume.try_take(bytes as f64, now) {
                return Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    429,
                    "Request rate limit exceeded: The rate limit of requests per second has been exceeded.",
                ));
            }
        }
        Ok(())
    }
}

/// A smooth token bucket like Guava's `RateLimiter` (the backend Confluent uses by default):
/// up to one second of unused permits is saved, and a take larger than what is saved is
/// granted at once but puts the bucket in debt, refusing everything until it is paid off.
struct Bucket {
    per_second: f64,
    state: Mutex<BucketState>,
}

struct BucketState {
    saved: f64,
    /// Before this instant every take is refused.
    next_free: Instant,
}

impl Bucket {
    fn new(per_second: u64) -> Self {
        Bucket {
            per_second: per_second as f64,
            state: Mutex::new(BucketState {
                saved: 0.0,
                next_free: Instant::now(),
            }),
        }
    }

    fn try_take(&self, permits: f64, now: Instant) -> bool {
        let mut state = self.state.lock().expect("rate limit lock");
        if now < state.next_free {
            return false;
        }
        let earned = (now - state.next_free).as_secs_f64() * self.per_second;
        let saved = (state.saved + earned).min(self.per_second);
        let spent = saved.min(permits);
        let owed = permits - spent;
        state.saved = saved - spent;
        state.next_free = now + Duration::from_secs_f64(owed / self.per_second);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_grants_a_second_of_permits_then_refuses_until_paid_off() {
        let bucket = Bucket::new(10);
        let start = bucket.state.lock().unwrap().next_free;
        assert!(bucket.try_take(1.0, start), "the first take is granted");
        assert!(!bucket.try_take(1.0, start), "in debt for 0.1 s");
        let later = start + Duration::from_millis(100);
        assert!(bucket.try_take(1.0, later));
        // One idle second saves 10 permits, not more.
        let idle = later + Duration::from_secs(5);
        assert!(bucket.try_take(10.0, idle));
        assert!(bucket.try_take(1.0, idle), "granted into debt");
        assert!(!bucket.try_take(1.0, idle));
    }

    #[test]
    fn disabled_limits_admit_everything() {
        let limiter = ProduceRateLimiter::new(None);
        assert!((0..10_000).all(|_| limiter.admit(1 << 20).is_ok()));
    }
}
