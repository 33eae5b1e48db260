//! librdkafka's admin API, called through its C interface for what rdkafka's `AdminClient`
//! does not wrap (configs with synonyms, incremental config changes, consumer groups and their
//! offsets, ACLs) and for topic changes, whose errors it reports without Kafka's message.
//!
//! Each call runs to completion on the calling (blocking) thread: the request is sent with its
//! own result queue, which is polled once; every C object is freed by an owning guard.

mod acls;
mod configs;
mod groups;
mod topics;

use std::ffi::{c_char, CStr, CString};
use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::types::RDKafkaErrorCode;

pub use acls::{Acl, OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES};
pub use configs::{ConfigChange, ConfigEntry, ConfigSynonym, ConfigTarget};
pub use groups::{GroupDescription, Member};
pub use topics::NewTopic;

/// A failed admin call: Kafka's (or librdkafka's) error code and message.
#[derive(Debug)]
pub struct AdminError {
    pub code: RDKafkaErrorCode,
    pub message: String,
}

impl AdminError {
    pub fn new(code: RDKafkaErrorCode, message: impl Into<String>) -> Self {
        AdminError {
            code,
            message: message.into(),
        }
    }

    fn invalid(message: impl Into<String>) -> Self {
        Self::new(RDKafkaErrorCode::InvalidRequest, message)
    }
}

pub type AdminResult<T> = Result<T, AdminError>;

/// A librdkafka client handle borrowed for one call.
#[derive(Clone, Copy)]
pub struct Handle {
    rk: *mut rd::rd_kafka_t,
    timeout: Duration,
}

impl Handle {
    /// # Safety
    /// `rk` must stay a live client handle for as long as the `Handle` is used.
    pub unsafe fn new(rk: *mut rd::rd_kafka_t, timeout: Duration) -> Self {
        Handle { rk, timeout }
    }

    fn millis(&self) -> i32 {
        i32::try_from(self.timeout.as_millis()).unwrap_or(i32::MAX)
    }

    /// Sends one request (`send` gets the options and the result queue) and waits for its
    /// result event; an error of the whole request is returned as such.
    fn call(
        &self,
        op: rd::rd_kafka_admin_op_t,
        validate_only: bool,
        send: impl FnOnce(*const rd::rd_kafka_AdminOptions_t, *mut rd::rd_kafka_queue_t),
    ) -> AdminResult<Event> {
        let mut errstr = [0 as c_char; 512];
        // SAFETY: `rk` is live (Handle::new); every object made here is freed by its guard.
        unsafe {
            let options = Options(rd::rd_kafka_AdminOptions_new(self.rk, op));
            rd::rd_kafka_AdminOptions_set_request_timeout(
                options.0,
                self.millis(),
                errstr.as_mut_ptr(),
                errstr.len(),
            );
            // Only topic operations have one; elsewhere librdkafka refuses it, harmlessly.
            rd::rd_kafka_AdminOptions_set_operation_timeout(
                options.0,
                self.millis(),
                errstr.as_mut_ptr(),
                errstr.len(),
            );
            if op == rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTOFFSETS {
                // Offsets a read-committed consumer can reach, as Confluent's lags use.
                let level = rd::rd_kafka_IsolationLevel_t::RD_KAFKA_ISOLATION_LEVEL_READ_COMMITTED;
                take_error(rd::rd_kafka_AdminOptions_set_isolation_level(options.0, level))?;
            }
            if validate_only {
                rd::rd_kafka_AdminOptions_set_validate_only(options.0, 1, errstr.as_mut_ptr(), errstr.len());
            }
            let queue = Queue(rd::rd_kafka_queue_new(self.rk));
            send(options.0, queue.0);
            // librdkafka times the request out itself; the margin only guards against a lost event.
            let event = rd::rd_kafka_queue_poll(queue.0, self.millis().saturating_add(5_000));
            if event.is_null() {
                return Err(AdminError::new(
                    RDKafkaErrorCode::OperationTimedOut,
                    "Admin request timed out",
                ));
            }
            let event = Event(event);
            let code = rd::rd_kafka_event_error(event.0);
            if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                let message = text(rd::rd_kafka_event_error_string(event.0)).unwrap_or_default();
                return Err(AdminError::new(code.into(), message));
            }
            Ok(event)
        }
    }
}

struct Options(*mut rd::rd_kafka_AdminOptions_t);
impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { rd::rd_kafka_AdminOptions_destroy(self.0) }
    }
}

struct Queue(*mut rd::rd_kafka_queue_t);
impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { rd::rd_kafka_queue_destroy(self.0) }
    }
}

struct Event(*mut rd::rd_kafka_event_t);
impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: owned, freed once.
        unsafe { rd::rd_kafka_event_destroy(self.0) }
    }
}

fn c_string(text: &str) -> AdminResult<CString> {
    CString::new(text).map_err(|_| AdminError::invalid("names may not contain NUL characters"))
}

/// # Safety
/// `ptr` is null or a NUL-terminated string.
unsafe fn text(ptr: *const c_char) -> Option<String> {
    (!ptr.is_null()).then(|| CStr::from_ptr(ptr).to_string_lossy().into_owned())
}

/// # Safety
/// `ptr` is null (then `count` is ignored) or points at `count` elements.
unsafe fn slice<'a, T>(ptr: *const T, count: usize) -> &'a [T] {
    if ptr.is_null() || count == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, count)
    }
}

/// # Safety
/// `error` is null or an error owned by a live result (not freed here).
unsafe fn borrowed_error(error: *const rd::rd_kafka_error_t) -> AdminResult<()> {
    if error.is_null() {
        return Ok(());
    }
    let code = rd::rd_kafka_error_code(error);
    if code == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return Ok(());
    }
    let message = text(rd::rd_kafka_error_string(error)).unwrap_or_default();
    Err(AdminError::new(code.into(), message))
}

/// An error the caller owns, freed here.
fn take_error(error: *mut rd::rd_kafka_error_t) -> AdminResult<()> {
    // SAFETY: null or owned by us.
    unsafe {
        let result = borrowed_error(error);
        if !error.is_null() {
            rd::rd_kafka_error_destroy(error);
        }
        result
    }
}
