use std::process::ExitCode;

fn main() -> ExitCode {
    flakegen::commands::main()
}
