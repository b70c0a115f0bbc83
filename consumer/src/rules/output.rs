//! Rule outputs: `%field` / `%field[arg]` formats rendered as Falco renders
//! them (`<NA>` for missing values), and the fields for `output_fields`.

use super::compile::{Field, FieldValues};
use super::fields::{self, Source};

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Field { spelled: String, field: Field },
}

#[derive(Debug, Clone)]
pub struct OutputFormat {
    pieces: Vec<Piece>,
}

/// Falco's placeholder for a rule's container details (rules before
/// Falco 0.41 end their outputs with it), and the text Falco puts in its
/// place when no `-p` format replaces it.
const CONTAINER_INFO: &str = "%container.info";
const CONTAINER_INFO_FIELDS: &str = "container_id=%container.id container_name=%container.name";

impl OutputFormat {
    /// Parses a format; an unknown field (or one of another source) is an error.
    pub fn parse(format: &str, source: Source) -> Result<Self, String> {
        let expanded;
        let format = if format.contains(CONTAINER_INFO) {
            expanded = format.replace(CONTAINER_INFO, CONTAINER_INFO_FIELDS);
            expanded.as_str()
        } else {
            format
        };
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = format;
        while let Some(at) = rest.find('%') {
            text.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let name_len =
                after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')).unwrap_or(after.len());
            if name_len == 0 {
                text.push('%');
                rest = after;
                continue;
            }
            let mut name = &after[..name_len];
            let mut consumed = name_len;
            let mut arg = None;
            if after[name_len..].starts_with('[') {
                if let Some(close) = after[name_len..].find(']') {
                    arg = Some(&after[name_len + 1..name_len + close]);
                    consumed = name_len + close + 1;
                }
            } else if name.ends_with('.') {
                // A sentence's full stop after a field.
                name = name.trim_end_matches('.');
                consumed = name.len();
            }
            let Some((info, arg)) = fields::lookup(name, arg) else {
                return Err(format!("'{name}' is not a supported output field"));
            };
            if info.source() != source {
                return Err(format!("output field '{name}' belongs to source {}", info.source().as_str()));
            }
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Field {
                spelled: after[..consumed].to_string(),
                field: Field::new(info, arg, Vec::new()),
            });
            rest = &after[consumed..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Self { pieces })
    }

    pub fn render(&self, ev: &dyn FieldValues) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Field { field, .. } => out.push_str(&ev.value(field).render()),
            }
        }
        out
    }

    /// Whether the format shows a field that `pred` picks.
    pub fn shows(&self, pred: &dyn Fn(&Field) -> bool) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Field { field, .. } if pred(field)))
    }

    /// `output_fields`: each field as written in the format, with its value.
    pub fn fields(&self, ev: &dyn FieldValues) -> serde_json::Map<String, serde_json::Value> {
        self.pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Field { spelled, field } => Some((spelled.clone(), ev.value(field).to_json())),
                Piece::Text(_) => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fields::FieldId;
    use crate::rules::value::Val;

    struct Fake;
    impl FieldValues for Fake {
        fn value(&self, field: &Field) -> Val<'_> {
            match (field.info.id, field.index) {
                (FieldId::ProcName, _) => Val::str("cat"),
                (FieldId::ProcAname, Some(2)) => Val::str("bash"),
                _ => Val::None,
            }
        }
    }

    #[test]
    fn renders_fields_and_na() {
        let f =
            OutputFormat::parse("100% sure: %proc.name (gp=%proc.aname[2] port=%fd.cport).", Source::Syscall).unwrap();
        assert_eq!(f.render(&Fake), "100% sure: cat (gp=bash port=<NA>).");
        let fields = f.fields(&Fake);
        assert_eq!(fields["proc.aname[2]"], "bash");
        assert_eq!(fields["fd.cport"], serde_json::Value::Null);
        assert!(OutputFormat::parse("x %not_a_real_field", Source::Syscall).is_err());
        let with_info = OutputFormat::parse("shell (user=%user.name %container.info)", Source::Syscall).unwrap();
        assert_eq!(with_info.render(&Fake), "shell (user=<NA> container_id=<NA> container_name=<NA>)");
        assert!(OutputFormat::parse("x %ka.verb", Source::Syscall).is_err());
        assert_eq!(OutputFormat::parse("user=%proc.name.", Source::Syscall).unwrap().render(&Fake), "user=cat.");
    }
}
