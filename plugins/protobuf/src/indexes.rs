//! Confluent's message indexes, between the 5-byte header and the Protobuf binary: the path of
//! the record's message type in its schema file (its index among the file's top-level
//! messages, then among each level's nested messages) as a zigzag varint count followed by
//! zigzag varint indexes; the path `[0]` is the single byte 0 (count 0).

/// The message indexes of `path`, Confluent's way.
pub fn write(path: &[i32]) -> Vec<u8> {
    let mut out = Vec::new();
    if path == [0] {
        out.push(0);
        return out;
    }
    write_varint(path.len() as i32, &mut out);
    for &index in path {
        write_varint(index, &mut out);
    }
    out
}

/// The path at the start of `payload` and the Protobuf binary after it.
pub fn read(payload: &[u8]) -> Result<(Vec<i32>, &[u8]), String> {
    let mut rest = payload;
    let count = read_varint(&mut rest)?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    // Each index takes at least one byte, so a count beyond the bytes left is garbage.
    if count < 0 || count as usize > rest.len() {
        return Err(format!(
            "invalid message indexes: a count of {count} with {} bytes left",
            rest.len()
        ));
    }
    let path = (0..count)
        .map(|_| read_varint(&mut rest))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((path, rest))
}

/// Kafka's `ByteUtils.writeVarint`: zigzag, then 7 bits a byte, low bits first.
fn write_varint(value: i32, out: &mut Vec<u8>) {
    let mut bits = ((value << 1) ^ (value >> 31)) as u32;
    while bits >= 0x80 {
        out.push((bits as u8 & 0x7f) | 0x80);
        bits >>= 7;
    }
    out.push(bits as u8);
}

/// Kafka's `ByteUtils.readVarint`: at most 5 bytes.
fn read_varint(bytes: &mut &[u8]) -> Result<i32, String> {
    let mut bits: u32 = 0;
    for shift in (0..35).step_by(7) {
        let Some((&byte, rest)) = bytes.split_first() else {
            return Err("invalid message indexes: the payload ends inside a varint".into());
        };
        *bytes = rest;
        bits |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((bits >> 1) as i32 ^ -((bits & 1) as i32));
        }
    }
    Err("invalid message indexes: a varint longer than 5 bytes".into())
}
