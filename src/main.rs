use std::process::ExitCode;

use clap::Parser;
use portalgen::cli::{Cli, Command};
use portalgen::commands;

/// Rendering allocates and frees many small values per page: with mimalloc it took about 14 %
/// less CPU time than with the system allocator (BENCHMARKS.md, "Results").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build(args) => commands::build(&cli.global, args),
        Command::Check(args) => commands::check(&cli.global, args),
        Command::Watch(args) => commands::watch(&cli.global, args),
        Command::Serve(args) => commands::serve(&cli.global, args),
        Command::Seed(args) => commands::seed(&cli.global, args),
        Command::Keys(args) => commands::keys(&cli.global, args),
    }
}
