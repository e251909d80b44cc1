//! The `tapctl` binary: a thin shell over the library.

fn main() -> std::process::ExitCode {
    tapctl::cli::main()
}
