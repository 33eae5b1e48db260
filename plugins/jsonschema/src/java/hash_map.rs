//! The order in which a `java.util.HashMap<String, _>` (what org.json's `JSONObject` holds)
//! iterates its keys: by bucket (`String.hashCode` spread, masked by the table size, which
//! starts at 16 and doubles past a load of 0.75), and within a bucket by insertion.
//!
//! Not simulated: a bucket of nine or more colliding keys in a table of 64 or more is turned
//! into a red-black tree, whose iteration order differs; such keys keep their insertion order
//! here (it takes nine keys whose hashes agree in at least their six low bits).

const INITIAL_CAPACITY: usize = 16;
/// A bucket this long asks for a tree, and a table smaller than this grows instead.
const TREEIFY_THRESHOLD: usize = 9;
const MIN_TREEIFY_CAPACITY: usize = 64;

/// The positions of `keys` (distinct, in insertion order) in the map's iteration order.
pub fn iteration_order<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<usize> {
    let mut buckets: Vec<Vec<(u32, usize)>> = vec![Vec::new(); INITIAL_CAPACITY];
    let mut size = 0;
    for (position, key) in keys.into_iter().enumerate() {
        let hash = spread(string_hash(key));
        let index = hash as usize & (buckets.len() - 1);
        buckets[index].push((hash, position));
        if buckets[index].len() >= TREEIFY_THRESHOLD && buckets.len() < MIN_TREEIFY_CAPACITY {
            buckets = resize(buckets);
        }
        size += 1;
        if size > buckets.len() / 4 * 3 {
            buckets = resize(buckets);
        }
    }
    buckets
        .into_iter()
        .flatten()
        .map(|(_, position)| position)
        .collect()
}

/// Doubles the table; each bucket splits in two, each half keeping its order.
fn resize(buckets: Vec<Vec<(u32, usize)>>) -> Vec<Vec<(u32, usize)>> {
    let old = buckets.len();
    let mut grown = vec![Vec::new(); old * 2];
    for (index, bucket) in buckets.into_iter().enumerate() {
        for entry in bucket {
            let high = entry.0 as usize & old != 0;
            grown[if high { index + old } else { index }].push(entry);
        }
    }
    grown
}

/// `String.hashCode()`: over UTF-16 code units, `h = 31 * h + unit`, wrapping.
fn string_hash(key: &str) -> u32 {
    key.encode_utf16()
        .fold(0u32, |h, unit| h.wrapping_mul(31).wrapping_add(u32::from(unit)))
}

/// `HashMap.hash`: the high half folded into the low half.
fn spread(hash: u32) -> u32 {
    hash ^ (hash >> 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order<'a>(keys: &[&'a str]) -> Vec<&'a str> {
        iteration_order(keys.iter().copied())
            .into_iter()
            .map(|i| keys[i])
            .collect()
    }

    #[test]
    fn string_hash_is_javas() {
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        assert_eq!(string_hash("apple") as i32, 93029210);
        assert_eq!(string_hash("banana") as i32, -1396355227);
        // Outside the BMP: two UTF-16 units.
        assert_eq!(string_hash("😀") as i32, 1772899);
    }

    /// Orders printed by a `new HashMap<String, Object>()` filled in the given order (Temurin 25).
    #[test]
    fn iterates_as_java_does() {
        assert_eq!(order(&["c", "b", "a"]), ["a", "b", "c"]);
        assert_eq!(
            order(&["name", "age", "city", "zip"]),
            ["zip", "city", "name", "age"]
        );
        let twelve = [
            "id", "note", "customer", "referrer", "payload", "status", "price", "day", "at", "ref", "tags",
            "score",
        ];
        assert_eq!(
            order(&twelve),
            [
                "note", "referrer", "score", "ref", "at", "payload", "price", "id", "day", "customer",
                "status", "tags"
            ]
        );
        // The 13th key grows the table to 32.
        let thirteen: Vec<&str> = twelve.iter().copied().chain(["extra"]).collect();
        assert_eq!(
            order(&thirteen),
            [
                "note", "tags", "referrer", "score", "ref", "at", "payload", "price", "extra", "id", "day",
                "customer", "status"
            ]
        );
        // Grown to 64.
        let fields: Vec<String> = (0..40).map(|i| format!("field{i}")).collect();
        let java: Vec<String> = [
            19, 17, 39, 18, 22, 23, 20, 21, 26, 27, 24, 25, 28, 29, 11, 33, 12, 34, 1, 31, 0, 10, 32, 15, 37,
            16, 38, 13, 35, 14, 36, 7, 6, 9, 8, 3, 2, 30, 5, 4,
        ]
        .iter()
        .map(|i| format!("field{i}"))
        .collect();
        assert_eq!(
            order(&fields.iter().map(String::as_str).collect::<Vec<_>>()),
            java
        );
        // Equal hashes ("Aa" and "BB") keep their insertion order within the bucket.
        let colliding = ["Aa", "BB", "C#", "AaAa", "BBBB", "AaBB", "BBAa"];
        assert_eq!(order(&colliding), colliding);
        // Ten keys in one bucket of a 16-table: the ninth grows the table instead of a tree.
        assert_eq!(
            order(&["k17", "k28", "k39", "k150", "k161", "k172", "k183", "k194", "k260", "k271"]),
            ["k17", "k39", "k161", "k183", "k260", "k28", "k150", "k172", "k194", "k271"]
        );
        assert_eq!(
            order(&["é", "ü", "日本", "😀", "a b", ""]),
            ["", "a b", "😀", "é", "日本", "ü"]
        );
    }
}
