//! RFC 8785 (JCS) canonical JSON for the trail's hashes, over values whose
//! numbers are all strings: JCS's number form then never comes into play,
//! and a verifier in any language (the README's Python among them) writes
//! the same bytes.

use serde::Serialize;
use serde_json::Value;

/// The canonical form of `value`: object members sorted by their names'
/// UTF-16 code units, no whitespace, strings escaped as ECMAScript's
/// `JSON.stringify` does (which `serde_json` matches: `\"`, `\\`, the
/// short escapes, other controls as lowercase `\u00xx`, the rest as is).
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            // Serializing a scalar cannot fail.
            out.push_str(&serde_json::to_string(value).unwrap_or_default());
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, (name, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(name).unwrap_or_default());
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
    }
}

/// `value` as the trail keeps it: every number becomes its decimal string
/// (Rust's shortest round-trip form: `1.5`, `1000`, `0.1`), so that a
/// hash never depends on how a reader prints floating point.
pub fn audit_value<T: Serialize + ?Sized>(value: &T) -> Value {
    strings_for_numbers(serde_json::to_value(value).unwrap_or(Value::Null))
}

fn strings_for_numbers(value: Value) -> Value {
    match value {
        Value::Number(n) => Value::String(match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => f.to_string(),
            _ => n.to_string(),
        }),
        Value::Array(items) => Value::Array(items.into_iter().map(strings_for_numbers).collect()),
        Value::Object(members) => Value::Object(
            members
                .into_iter()
                .map(|(name, item)| (name, strings_for_numbers(item)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_are_sorted_and_nothing_is_spaced() {
        let value = json!({"b": "2", "a": {"d": [true, null], "c": "x"}});
        assert_eq!(
            canonical(&value),
            r#"{"a":{"c":"x","d":[true,null]},"b":"2"}"#
        );
    }

    #[test]
    fn names_sort_by_utf16_code_units_as_rfc_8785_says() {
        // U+E000 sorts after U+1F600 in UTF-16 (a surrogate pair starts
        // with 0xD83D) but before it by code point.
        let value = json!({"\u{e000}": "1", "\u{1f600}": "2"});
        assert_eq!(
            canonical(&value),
            "{\"\u{1f600}\":\"2\",\"\u{e000}\":\"1\"}"
        );
    }

    #[test]
    fn strings_escape_as_json_stringify_does() {
        let value = json!({"s": "a\"b\\c\n\u{1}é"});
        assert_eq!(canonical(&value), "{\"s\":\"a\\\"b\\\\c\\n\\u0001é\"}");
    }

    #[test]
    fn numbers_become_their_shortest_decimal_strings() {
        let value = audit_value(&json!({"a": 1.5, "b": 1000, "c": 0.1, "d": -3, "e": [2.0]}));
        assert_eq!(
            value,
            json!({"a": "1.5", "b": "1000", "c": "0.1", "d": "-3", "e": ["2"]})
        );
    }
}
