//! A Protobuf schema as the registry holds it — `.proto` text, or a base64
//! `FileDescriptorProto` as Confluent's serializers send it — compiled with `protox` together
//! with the files it imports (the registry's references, named by import path; Google's
//! well-known types are built in), and its message types by Confluent's message indexes.

use std::collections::HashMap;

use base64::Engine as _;
use prost_reflect::{FileDescriptor, MessageDescriptor};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

/// The name the schema itself compiles under (its imports are its references' names).
const MAIN_FILE: &str = "krest-schema.proto";

/// A compiled schema file.
#[derive(Debug)]
pub struct Schema {
    file: FileDescriptor,
    /// Whether map entries count among nested messages in message indexes: they do in a
    /// descriptor (Confluent's serializers index its `nested_type` list), not in `.proto`
    /// text (Confluent's parser does not see them as messages).
    map_entries_indexed: bool,
}

/// Schema sources by file name.
struct Sources(HashMap<String, String>);

impl FileResolver for Sources {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        let source = self
            .0
            .get(name)
            .ok_or_else(|| protox::Error::file_not_found(name))?;
        match descriptor(source) {
            Some(mut descriptor) => {
                descriptor.name = Some(name.to_owned());
                Ok(File::from_file_descriptor_proto(descriptor))
            }
            None => File::from_source(name, source),
        }
    }
}

/// A base64 `FileDescriptorProto` (`.proto` text never is: it has spaces and `;`).
fn descriptor(source: &str) -> Option<prost_reflect::prost_types::FileDescriptorProto> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(source.trim())
        .ok()?;
    File::decode_file_descriptor_proto(bytes.as_slice())
        .ok()
        .map(|file| file.file_descriptor_proto().clone())
}

impl Schema {
    /// Compiles `text`; `references` are (import path, source) of the files it imports,
    /// directly or not.
    pub fn compile<'a>(
        text: &str,
        references: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Schema, String> {
        let mut sources: HashMap<String, String> = references
            .into_iter()
            .map(|(name, source)| (name.to_owned(), source.to_owned()))
            .collect();
        sources.insert(MAIN_FILE.to_owned(), text.to_owned());
        let mut resolver = ChainFileResolver::new();
        resolver.add(Sources(sources));
        resolver.add(GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler.include_source_info(false);
        compiler.open_file(MAIN_FILE).map_err(|e| e.to_string())?;
        let file = compiler
            .descriptor_pool()
            .get_file_by_name(MAIN_FILE)
            .ok_or_else(|| format!("{MAIN_FILE} did not compile"))?;
        Ok(Schema {
            file,
            map_entries_indexed: descriptor(text).is_some(),
        })
    }

    /// The message type Confluent's proxy writes with: the file's first message.
    pub fn first_message(&self) -> Result<MessageDescriptor, String> {
        self.file
            .messages()
            .next()
            .ok_or_else(|| "the schema defines no message type".into())
    }

    /// The message type at `path` (Confluent's message indexes).
    pub fn message(&self, path: &[i32]) -> Result<MessageDescriptor, String> {
        let not_found = || format!("invalid message indexes {path:?}: the schema has no such message type");
        let (&top, nested) = path.split_first().ok_or_else(not_found)?;
        let mut message = usize::try_from(top)
            .ok()
            .and_then(|i| self.file.messages().nth(i))
            .ok_or_else(not_found)?;
        for &index in nested {
            message = usize::try_from(index)
                .ok()
                .and_then(|i| {
                    message
                        .child_messages()
                        .filter(|m| self.map_entries_indexed || !m.is_map_entry())
                        .nth(i)
                })
                .ok_or_else(not_found)?;
        }
        Ok(message)
    }
}
