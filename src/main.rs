//! The `stockade` command.

fn main() -> std::process::ExitCode {
    stockade::app::main()
}
