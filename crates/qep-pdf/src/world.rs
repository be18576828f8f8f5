//! The smallest Typst world that prints our documents: one in-memory source, the data as
//! JSON bytes in `sys.inputs.data`, the fonts compiled into the binary, no files, no
//! packages and no clock (`datetime.today()` fails on purpose: dates come from the input).

use std::sync::OnceLock;

use serde::Serialize;
use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Dict, IntoValue};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::PdfError;

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

/// Parsed once per process: the fonts of `typst-assets` (Libertinus Serif, New Computer
/// Modern, DejaVu Sans Mono), all under the SIL Open Font License or similar.
fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        let book = FontBook::from_fonts(&fonts);
        Fonts {
            book: LazyHash::new(book),
            fonts,
        }
    })
}

struct DocWorld {
    library: LazyHash<Library>,
    main: Source,
    fonts: &'static Fonts,
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            Ok(Bytes::from_string(self.main.clone()))
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        None
    }
}

fn diagnostics(list: &[SourceDiagnostic]) -> String {
    list.iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let hints: Vec<&str> = d.hints.iter().map(|h| h.v.as_str()).collect();
            if hints.is_empty() {
                d.message.to_string()
            } else {
                format!("{} ({})", d.message, hints.join(" ; "))
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Compiles `template` with `data` as `sys.inputs.data` (JSON bytes) into a PDF.
pub(crate) fn render<T: Serialize>(template: &str, data: &T) -> Result<Vec<u8>, PdfError> {
    let json = serde_json::to_vec(data).map_err(|e| PdfError::Typst(e.to_string()))?;
    let mut inputs = Dict::new();
    inputs.insert("data".into(), Bytes::new(json).into_value());
    let library = Library::builder().with_inputs(inputs).build();
    let path = VirtualPath::new("/main.typ").map_err(|e| PdfError::Typst(format!("{e:?}")))?;
    let id = RootedPath::new(VirtualRoot::Project, path).intern();
    let world = DocWorld {
        library: LazyHash::new(library),
        main: Source::new(id, template.to_owned()),
        fonts: fonts(),
    };
    let document = typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|errors| PdfError::Typst(diagnostics(&errors)));
    // Typst memoises across compilations; keep a long-running server's memory flat.
    typst::comemo::evict(10);
    let pdf = typst_pdf::pdf(&document?, &typst_pdf::PdfOptions::default())
        .map_err(|errors| PdfError::Typst(diagnostics(&errors)))?;
    Ok(pdf)
}
