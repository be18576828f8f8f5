//! Writes the test year's documents to a folder, to look at them:
//! `cargo run -p qep-pdf --example render -- /tmp/qep-pdf`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".to_owned());
    std::fs::create_dir_all(&dir)?;
    let start = Instant::now();
    let pdf = qep_pdf::bilan(&common::full())?;
    println!("bilan: {} octets en {:?}", pdf.len(), start.elapsed());
    std::fs::write(format!("{dir}/bilan.pdf"), pdf)?;
    let start = Instant::now();
    let pdf = qep_pdf::bilan(&common::full())?;
    println!("bilan (second rendering): {:?}", start.elapsed());
    drop(pdf);
    std::fs::write(
        format!("{dir}/bilan-vide.pdf"),
        qep_pdf::bilan(&common::empty())?,
    )?;
    std::fs::write(
        format!("{dir}/bilan.docx"),
        qep_pdf::bilan_docx(&common::full())?,
    )?;
    for (size, name) in [
        (qep_pdf::PaperSize::A4, "a4"),
        (qep_pdf::PaperSize::A3, "a3"),
    ] {
        let start = Instant::now();
        let pdf = qep_pdf::transparence(&common::poster(), size)?;
        println!("transparence {name}: {:?}", start.elapsed());
        std::fs::write(format!("{dir}/transparence-{name}.pdf"), pdf)?;
    }
    Ok(())
}
