//! The hash chain: how an entry is sealed to the one before it, and how a
//! trail is checked, entry by entry, without the database.
//!
//! `hash = SHA-256(prev ‖ SHA-256(canonical(header)) ‖ payload_sha256)`,
//! the three as raw 32-byte digests, `prev` of the first entry (the
//! genesis, `seq` 0) all zeros, `payload_sha256 = SHA-256(canonical(payload))`.
//! A payload can be removed (redacted) and its digest kept: the chain
//! still verifies.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::canonical::canonical;

/// A SHA-256 digest, shown as 64 lowercase hex digits.
pub type Sha256Hex = String;

/// The `prev` of the genesis entry.
pub fn zero_hash() -> Sha256Hex {
    hex::encode([0u8; 32])
}

pub fn sha256_hex(bytes: &[u8]) -> Sha256Hex {
    hex::encode(Sha256::digest(bytes))
}

pub fn payload_sha256(payload: &Value) -> Sha256Hex {
    sha256_hex(canonical(payload).as_bytes())
}

/// The entry hash over `prev`, the header and the payload's digest; `None`
/// when `prev` or `payload_sha256` is not a 64-digit hex digest.
pub fn entry_hash(prev: &str, header: &Value, payload_sha256: &str) -> Option<Sha256Hex> {
    let prev = digest_bytes(prev)?;
    let payload = digest_bytes(payload_sha256)?;
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(Sha256::digest(canonical(header).as_bytes()));
    hasher.update(payload);
    Some(hex::encode(hasher.finalize()))
}

fn digest_bytes(hex_digest: &str) -> Option<[u8; 32]> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(hex_digest, &mut bytes).ok()?;
    Some(bytes)
}

/// One entry as stored or exported: what the chain covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Sealed {
    pub seq: i64,
    pub header: Value,
    /// `None` once redacted.
    pub payload: Option<Value>,
    pub payload_sha256: Sha256Hex,
    pub prev: Sha256Hex,
    pub hash: Sha256Hex,
}

/// Why an entry does not belong where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// Not the next number: an entry before it is missing, or the order
    /// was changed.
    Sequence { expected: i64 },
    /// Its header names another position or organization than where it is.
    Header,
    /// `prev` is not the hash of the entry before.
    Link,
    /// The payload is not the one its digest was taken of.
    Payload,
    /// The hash is not the one of its contents.
    Hash,
    /// The trail ends before the head the database keeps.
    Truncated { head_seq: i64 },
}

impl Break {
    pub fn describe(&self) -> String {
        match self {
            Break::Sequence { expected } => {
                format!("expected entry {expected} here: an entry is missing or out of order")
            }
            Break::Header => "its header names another position or organization".to_owned(),
            Break::Link => "prev is not the hash of the entry before".to_owned(),
            Break::Payload => "the payload does not match payload_sha256".to_owned(),
            Break::Hash => "the hash does not match the entry's contents".to_owned(),
            Break::Truncated { head_seq } => {
                format!("the trail ends before the head the database keeps (entry {head_seq})")
            }
        }
    }
}

/// Checks a trail entry by entry, in `seq` order.
#[derive(Debug)]
pub struct Verifier {
    org_id: String,
    next_seq: i64,
    prev: Sha256Hex,
}

impl Verifier {
    /// For the trail of the organization `org_id` (as its header writes it).
    pub fn new(org_id: impl Into<String>) -> Self {
        Self {
            org_id: org_id.into(),
            next_seq: 0,
            prev: zero_hash(),
        }
    }

    /// Entries checked so far.
    pub fn checked(&self) -> i64 {
        self.next_seq
    }

    /// The hash of the last entry checked (the head, at the end).
    pub fn head(&self) -> &str {
        &self.prev
    }

    /// Checks the next entry; after a break, nothing after it is trusted.
    pub fn check(&mut self, entry: &Sealed) -> Result<(), Break> {
        if entry.seq != self.next_seq {
            return Err(Break::Sequence {
                expected: self.next_seq,
            });
        }
        let header_seq = entry.header.get("seq").and_then(Value::as_str);
        let header_org = entry.header.get("org_id").and_then(Value::as_str);
        if header_seq != Some(entry.seq.to_string().as_str()) || header_org != Some(&self.org_id) {
            return Err(Break::Header);
        }
        if entry.prev != self.prev {
            return Err(Break::Link);
        }
        if let Some(payload) = &entry.payload
            && payload_sha256(payload) != entry.payload_sha256
        {
            return Err(Break::Payload);
        }
        if entry_hash(&entry.prev, &entry.header, &entry.payload_sha256).as_deref()
            != Some(entry.hash.as_str())
        {
            return Err(Break::Hash);
        }
        self.next_seq += 1;
        self.prev = entry.hash.clone();
        Ok(())
    }

    /// After the last entry: the trail must reach the head kept apart.
    pub fn finish(&self, head_seq: Option<i64>) -> Result<(), Break> {
        match head_seq {
            Some(head_seq) if head_seq >= self.next_seq => Err(Break::Truncated { head_seq }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sealed(seq: i64, prev: &str, payload: Value) -> Sealed {
        let header = json!({"org_id": "o", "seq": seq.to_string(), "action": "create"});
        let payload_sha256 = payload_sha256(&payload);
        let hash = entry_hash(prev, &header, &payload_sha256).unwrap();
        Sealed {
            seq,
            header,
            payload: Some(payload),
            payload_sha256,
            prev: prev.to_owned(),
            hash,
        }
    }

    fn trail(n: i64) -> Vec<Sealed> {
        let mut prev = zero_hash();
        (0..n)
            .map(|seq| {
                let entry = sealed(seq, &prev, json!({"n": seq.to_string()}));
                prev = entry.hash.clone();
                entry
            })
            .collect()
    }

    fn first_break(entries: &[Sealed]) -> Option<(i64, Break)> {
        let mut verifier = Verifier::new("o");
        for entry in entries {
            if let Err(b) = verifier.check(entry) {
                return Some((entry.seq, b));
            }
        }
        None
    }

    #[test]
    fn an_untouched_trail_verifies_to_its_last_hash() {
        let entries = trail(4);
        let mut verifier = Verifier::new("o");
        for entry in &entries {
            verifier.check(entry).unwrap();
        }
        assert_eq!(verifier.head(), entries[3].hash);
        assert_eq!(verifier.finish(Some(3)), Ok(()));
    }

    #[test]
    fn a_redacted_payload_keeps_the_chain() {
        let mut entries = trail(3);
        entries[1].payload = None;
        assert_eq!(first_break(&entries), None);
    }

    #[test]
    fn an_edited_payload_is_the_first_break() {
        let mut entries = trail(4);
        entries[2].payload = Some(json!({"n": "20"}));
        assert_eq!(first_break(&entries), Some((2, Break::Payload)));
    }

    #[test]
    fn an_edited_and_rehashed_entry_breaks_the_link_after_it() {
        let mut entries = trail(4);
        let forged = sealed(1, &entries[0].hash.clone(), json!({"n": "forged"}));
        entries[1] = forged;
        assert_eq!(first_break(&entries), Some((2, Break::Link)));
    }

    #[test]
    fn a_missing_entry_breaks_the_sequence() {
        let mut entries = trail(4);
        entries.remove(1);
        assert_eq!(
            first_break(&entries),
            Some((2, Break::Sequence { expected: 1 }))
        );
    }

    #[test]
    fn swapped_contents_break_at_the_first_swapped_position() {
        let mut entries = trail(4);
        let (a, b) = (entries[1].clone(), entries[2].clone());
        entries[1] = Sealed { seq: 1, ..b };
        entries[2] = Sealed { seq: 2, ..a };
        assert_eq!(first_break(&entries), Some((1, Break::Header)));
    }

    #[test]
    fn a_cut_off_tail_is_found_against_the_head() {
        let entries = trail(4);
        let mut verifier = Verifier::new("o");
        for entry in &entries[..2] {
            verifier.check(entry).unwrap();
        }
        assert_eq!(
            verifier.finish(Some(3)),
            Err(Break::Truncated { head_seq: 3 })
        );
    }
}
