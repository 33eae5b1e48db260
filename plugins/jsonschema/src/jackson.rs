//! Jackson's part: a JSON text read into a tree as a default `ObjectMapper` reads it (Confluent's
//! proxy reads request bodies and consumed records with one) and a tree written as Jackson writes
//! it — compact, keys in the tree's order, control characters escaped `\uXXXX` in upper case,
//! non-ASCII characters as they are, integers exact and other numbers as the Java type holding
//! them prints itself.

use std::io;

use serde_json::ser::{CharEscape, Formatter};
use serde_json::Value;

use crate::java::number::{big_decimal_to_string, double_to_string};

/// What holds the tree's floating-point numbers on the Java side.
#[derive(Clone, Copy)]
pub enum Floats {
    /// `DoubleNode`s: `Double.toString` (`1.0E10`).
    Doubles,
    /// `DecimalNode`s: `BigDecimal.toString` of the number's digits and scale (`1.0E+10`).
    BigDecimals,
}

/// Reads a JSON text: integers stay exact, every other number becomes a double (`1e2` holds
/// the digits and exponent of `100.0`).
pub fn read(text: &[u8]) -> Result<Value, String> {
    let mut value: Value = serde_json::from_slice(text).map_err(|e| e.to_string())?;
    as_jackson_numbers(&mut value)?;
    Ok(value)
}

/// Writes a tree compactly, as `ObjectMapper.writeValueAsBytes` does.
pub fn write(value: &Value, floats: Floats) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, Jackson(floats));
    serde::Serialize::serialize(value, &mut serializer).expect("a JSON tree always serializes");
    out
}

/// Whether a number's text is a floating-point literal (Jackson's `VALUE_NUMBER_FLOAT`).
fn is_float(text: &str) -> bool {
    text.contains(['.', 'e', 'E'])
}

fn as_jackson_numbers(value: &mut Value) -> Result<(), String> {
    match value {
        Value::Number(n) => {
            let text = n.to_string();
            if is_float(&text) {
                let double: f64 = text.parse().map_err(|e| format!("number {text}: {e}"))?;
                if !double.is_finite() {
                    return Err(format!("number {text} is out of the range of a double"));
                }
                *n = double_to_string(double)
                    .parse()
                    .expect("Java prints a JSON number");
            }
        }
        Value::Array(items) => items.iter_mut().try_for_each(as_jackson_numbers)?,
        Value::Object(members) => members.values_mut().try_for_each(as_jackson_numbers)?,
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
    Ok(())
}

/// serde_json's compact output with Jackson's escapes — the same characters are escaped (`"`,
/// `\`, controls below U+0020, `\b \t \n \f \r` in short form), others as upper-case `\u00XX`
/// — and Java's numbers: `-0` is 0, floating-point numbers as [`Floats`] says.
struct Jackson(Floats);

impl Formatter for Jackson {
    fn write_number_str<W: ?Sized + io::Write>(&mut self, writer: &mut W, text: &str) -> io::Result<()> {
        if !is_float(text) {
            return writer.write_all(if text == "-0" { b"0" } else { text.as_bytes() });
        }
        let java = match self.0 {
            Floats::Doubles => double_to_string(text.parse().expect("a double's digits")),
            Floats::BigDecimals => big_decimal_to_string(text),
        };
        writer.write_all(java.as_bytes())
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        let short: &[u8] = match escape {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::Solidus => b"\\/",
            CharEscape::Backspace => b"\\b",
            CharEscape::FormFeed => b"\\f",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            CharEscape::AsciiControl(byte) => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                let escaped = [
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(byte >> 4)],
                    HEX[usize::from(byte & 0xf)],
                ];
                return writer.write_all(&escaped);
            }
        };
        writer.write_all(short)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(text: &str) -> String {
        String::from_utf8(write(&read(text.as_bytes()).unwrap(), Floats::Doubles)).unwrap()
    }

    #[test]
    fn numbers_read_as_jackson_reads_them() {
        assert_eq!(
            round("[0, -0, 1, -7, 12345678901234567890123]"),
            "[0,0,1,-7,12345678901234567890123]"
        );
    }

    #[test]
    fn doubles_print_as_java_does() {
        assert_eq!(
            round("[1.50, 1e2, 1E-4, 0.1, -0.0, 12345678.9, 5e-324]"),
            "[1.5,100.0,1.0E-4,0.1,-0.0,1.23456789E7,4.9E-324]"
        );
        assert!(read(b"1e400").unwrap_err().contains("out of the range"));
    }

    #[test]
    fn compact_with_key_order_and_jacksons_escapes() {
        assert_eq!(
            round("{ \"b\" : [ true , null ], \"a\" : { } , \"\" : [] }"),
            r#"{"b":[true,null],"a":{},"":[]}"#
        );
        assert_eq!(
            round(r#""q\" b\\ s\/ \b\f\n\r\t \u0000\u001f\u007f é 日本 😀 \u2028""#),
            "\"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t \\u0000\\u001F\u{7f} é 日本 😀 \u{2028}\""
        );
    }
}
