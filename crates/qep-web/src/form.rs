//! Submitted forms: the fields as sent (repeated keys kept, for checkboxes), and the errors
//! bound to fields that a refused form is re-rendered with.

use std::collections::BTreeMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Serialize;

use crate::error::WebError;

/// Largest form body accepted, in bytes.
pub const MAX_FORM_BYTES: usize = 64 * 1024;
/// Largest attachment accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The decoded fields of an `application/x-www-form-urlencoded` body. The CSRF middleware
/// reads the body once and leaves this in the request's extensions.
#[derive(Debug, Clone, Default)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> Result<FormData, WebError> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map(FormData)
            .map_err(|_| WebError::BadRequest("formulaire mal encodé".into()))
    }

    /// The first value of `key`, or "" when absent.
    pub fn get(&self, key: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// Numeric ids from repeated fields (checkbox lists); anything else is a bad request.
    pub fn ids(&self, key: &str) -> Result<Vec<i64>, WebError> {
        self.all(key)
            .into_iter()
            .map(|v| {
                v.parse()
                    .map_err(|_| WebError::BadRequest(format!("valeur invalide pour {key}")))
            })
            .collect()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for FormData {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<FormData>()
            .cloned()
            .ok_or_else(|| WebError::BadRequest("formulaire attendu".into()))
    }
}

/// Errors keyed by field name (the input's `name` and `id`), shown next to each field and
/// summarised at the top of the form.
#[derive(Debug, Default, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<&'static str, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Runs a validation, keeping its value or recording its error against `field`.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &'static str,
        r: Result<T, E>,
    ) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }
}

pub fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_are_kept_and_ids_checked() {
        let f =
            FormData::parse(b"modules=2&modules=3&name=Pr%C3%A9fecture+du+Cher").expect("parse");
        assert_eq!(f.all("modules"), vec!["2", "3"]);
        assert_eq!(f.get("name"), "Préfecture du Cher");
        assert_eq!(f.get("absent"), "");
        assert_eq!(f.ids("modules").expect("ids"), vec![2, 3]);
        assert!(FormData::parse(b"s=x").expect("parse").ids("s").is_err());
        assert_eq!(url_encode("/a b?c=é"), "%2Fa+b%3Fc%3D%C3%A9");
    }
}
