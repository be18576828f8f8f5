//! The State design system's built files (npm `@gouvfr/dsfr`, pinned in
//! `assets/package-lock.json`), embedded in the binary at build time and served locally:
//! QeP runs on intranets without internet access, so no CDN.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::error::WebError;

/// Only what pages use: the folder layout is kept because the CSS refers to `fonts/` and
/// `icons/` by relative URLs.
#[derive(RustEmbed)]
#[folder = "assets/node_modules/@gouvfr/dsfr/dist/"]
#[include = "dsfr.min.css"]
#[include = "dsfr.module.min.js"]
#[include = "dsfr.nomodule.min.js"]
#[include = "utility/icons/icons.min.css"]
#[include = "fonts/*.woff2"]
#[include = "icons/**/*.svg"]
#[include = "artwork/*.svg"]
#[include = "artwork/pictograms/**/*.svg"]
#[include = "favicon/*"]
pub struct Dsfr;

/// QeP's own static files (a small stylesheet).
#[derive(RustEmbed)]
#[folder = "static/"]
pub struct AppFiles;

pub async fn serve_app(Path(path): Path<String>) -> Result<Response, WebError> {
    let file = AppFiles::get(&path).ok_or(WebError::NotFound)?;
    respond(file)
}

pub async fn serve(Path(path): Path<String>) -> Result<Response, WebError> {
    let file = Dsfr::get(&path).ok_or(WebError::NotFound)?;
    respond(file)
}

fn respond(file: rust_embed::EmbeddedFile) -> Result<Response, WebError> {
    let mime = file.metadata.mimetype().to_owned();
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, mime),
            // The files change only with the pinned package version, i.e. with QeP's.
            (header::CACHE_CONTROL, "public, max-age=86400".to_owned()),
        ],
        file.data,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_design_system_is_embedded() {
        for path in [
            "dsfr.min.css",
            "dsfr.module.min.js",
            "dsfr.nomodule.min.js",
            "utility/icons/icons.min.css",
            "fonts/Marianne-Regular.woff2",
            "favicon/favicon.svg",
        ] {
            assert!(Dsfr::get(path).is_some(), "{path} missing");
        }
        assert!(
            Dsfr::get("dsfr.min.css.map").is_none(),
            "source maps stay out"
        );
    }
}
