use std::process::ExitCode;

fn main() -> ExitCode {
    flakegen::memory::map_large_blocks();
    flakegen::commands::main()
}
