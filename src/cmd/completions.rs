use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell as Target;

use crate::cli::{Cli, CompletionsArgs, Shell};

pub fn run(args: &CompletionsArgs) -> Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(target(args.shell), &mut Cli::command(), "appw", &mut script);
    crate::output::print(&String::from_utf8_lossy(&script))?;
    Ok(())
}

pub fn target(shell: Shell) -> Target {
    match shell {
        Shell::Bash => Target::Bash,
        Shell::Zsh => Target::Zsh,
        Shell::Fish => Target::Fish,
        Shell::Elvish => Target::Elvish,
        Shell::Powershell => Target::PowerShell,
    }
}
