//! `qep`: see `qep --help`.

fn main() {
    std::process::exit(qep::cli::main());
}
