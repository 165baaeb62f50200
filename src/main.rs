//! The `stockade` command.

fn main() -> std::process::ExitCode {
    stockade::command_main()
}
