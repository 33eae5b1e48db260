//! Stored passwords in the forms Jetty's `Credential` reads — plain text, `OBF:` (Jetty's
//! reversible obfuscation), `MD5:` (hex digest), `CRYPT:` (Unix crypt) — and bcrypt (`$2a$`,
//! `$2b$`, `$2y$`). Comparisons of secrets take the same time whatever they hold.
//! The slow hashes (crypt, bcrypt) are checked once per user and password while an instance
//! stays warm: it remembers a SHA-256 of the password that matched, never the password.

use std::cell::RefCell;
use std::collections::HashMap;

use md5::{Digest, Md5};
use sha2::Sha256;

/// Users whose slow hash a warm instance remembers at most.
const REMEMBERED_MAX: usize = 1024;

thread_local! {
    /// user → (its stored credential, SHA-256 of the password that matched it).
    static MATCHED: RefCell<HashMap<String, (String, [u8; 32])>> = RefCell::new(HashMap::new());
}

/// [`matches`], remembering what a slow hash admitted (until `stored` changes).
pub fn matches_remembered(user: &str, stored: &str, password: &str) -> bool {
    if !(stored.starts_with("CRYPT:") || stored.starts_with("$2")) {
        return matches(stored, password);
    }
    let digest: [u8; 32] = Sha256::digest(password.as_bytes()).into();
    let remembered = MATCHED.with_borrow(|matched| {
        matched
            .get(user)
            .is_some_and(|(known, hash)| known == stored && same(hash, &digest))
    });
    if remembered {
        return true;
    }
    if !matches(stored, password) {
        return false;
    }
    MATCHED.with_borrow_mut(|matched| {
        if matched.len() >= REMEMBERED_MAX {
            matched.clear();
        }
        matched.insert(user.to_string(), (stored.to_string(), digest));
    });
    true
}

/// Whether `password` is the one `stored` describes.
pub fn matches(stored: &str, password: &str) -> bool {
    if let Some(obfuscated) = stored.strip_prefix("OBF:") {
        return deobfuscate(obfuscated).is_some_and(|plain| same(plain.as_bytes(), password.as_bytes()));
    }
    if let Some(hex) = stored.strip_prefix("MD5:") {
        let digest: String = Md5::digest(password.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        return same(digest.as_bytes(), hex.to_ascii_lowercase().as_bytes());
    }
    if let Some(hash) = stored.strip_prefix("CRYPT:") {
        return pwhash::unix_crypt::verify(password, hash);
    }
    if stored.starts_with("$2") {
        return pwhash::bcrypt::verify(password, stored);
    }
    same(stored.as_bytes(), password.as_bytes())
}

/// Constant-time equality (for equal lengths).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Jetty's `Password.deobfuscate`: groups of four base-36 digits, each one byte (a group
/// after `U` holds a byte above 127 in its high bits).
pub fn deobfuscate(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 4);
    let mut i = 0;
    while i < bytes.len() {
        let high = bytes[i] == b'U';
        if high {
            i += 1;
        }
        let group = std::str::from_utf8(bytes.get(i..i + 4)?).ok()?;
        let value = i32::from_str_radix(group, 36).ok()?;
        out.push(if high {
            (value >> 8) as u8
        } else {
            ((value / 256 + value % 256 - 254) / 2) as u8
        });
        i += 4;
    }
    String::from_utf8(out).ok()
}
