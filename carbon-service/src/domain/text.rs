//! The one rule every label and free text of the domain follows (a type's
//! name and unit, a dataset's fields, an instrument's).

use common::validation::FieldError;

/// `value` trimmed, with an error in `errors` unless it is 1 to `max`
/// characters.
pub(crate) fn check_label(
    field: &str,
    value: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> String {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > max {
        errors.push(FieldError::new(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    trimmed.to_owned()
}
