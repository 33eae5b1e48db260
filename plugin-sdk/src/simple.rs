//! Formats that convert one record at a time: implement [`SimpleFormat`] and call
//! [`export_simple_format!`](crate::export_simple_format); batching and nulls are handled here.

/// A format with a per-record codec. JSON `null` and Kafka null map to each other without
/// calling it.
pub trait SimpleFormat {
    /// JSON text → Kafka bytes; `Err` says why the record does not fit (a 400 for the client).
    fn encode(json: &str) -> Result<Vec<u8>, String>;
    /// Kafka bytes → JSON text.
    fn decode(bytes: &[u8]) -> Result<String, String>;
}

/// Applies [`SimpleFormat::encode`] to a batch.
pub fn encode_batch<F: SimpleFormat>(values: Vec<Option<String>>) -> Vec<Result<Option<Vec<u8>>, String>> {
    values
        .into_iter()
        .map(|value| match value {
            None => Ok(None),
            Some(json) => F::encode(&json).map(Some),
        })
        .collect()
}

/// Applies [`SimpleFormat::decode`] to a batch.
pub fn decode_batch<F: SimpleFormat>(values: Vec<Option<Vec<u8>>>) -> Vec<Result<Option<String>, String>> {
    values
        .into_iter()
        .map(|value| match value {
            None => Ok(None),
            Some(bytes) => F::decode(&bytes).map(Some),
        })
        .collect()
}

/// Implements the `format` world for a [`SimpleFormat`] and exports it.
#[cfg(feature = "format")]
#[macro_export]
macro_rules! export_simple_format {
    ($format:ident) => {
        impl $crate::format::exports::krest::plugin::codec::Guest for $format {
            fn encode(
                _context: $crate::format::exports::krest::plugin::codec::EncodeContext,
                values: ::std::vec::Vec<::std::option::Option<::std::string::String>>,
            ) -> ::std::result::Result<
                $crate::format::exports::krest::plugin::codec::Encoded,
                $crate::format::exports::krest::plugin::codec::FormatError,
            > {
                ::std::result::Result::Ok($crate::format::exports::krest::plugin::codec::Encoded {
                    schema_id: ::std::option::Option::None,
                    records: $crate::simple::encode_batch::<$format>(values),
                })
            }

            fn decode(
                _context: $crate::format::exports::krest::plugin::codec::DecodeContext,
                values: ::std::vec::Vec<::std::option::Option<::std::vec::Vec<u8>>>,
            ) -> ::std::vec::Vec<
                ::std::result::Result<::std::option::Option<::std::string::String>, ::std::string::String>,
            > {
                $crate::simple::decode_batch::<$format>(values)
            }
        }
        $crate::export_format!($format);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Reverse;
    impl SimpleFormat for Reverse {
        fn encode(json: &str) -> Result<Vec<u8>, String> {
            Ok(json.bytes().rev().collect())
        }
        fn decode(bytes: &[u8]) -> Result<String, String> {
            String::from_utf8(bytes.iter().rev().copied().collect()).map_err(|e| e.to_string())
        }
    }

    #[test]
    fn nulls_pass_through_and_values_use_the_codec() {
        let encoded = encode_batch::<Reverse>(vec![Some("\"ab\"".into()), None]);
        assert_eq!(encoded, vec![Ok(Some(b"\"ba\"".to_vec())), Ok(None)]);
        let decoded = decode_batch::<Reverse>(vec![Some(b"\"ba\"".to_vec()), None]);
        assert_eq!(decoded, vec![Ok(Some("\"ab\"".to_string())), Ok(None)]);
    }
}
