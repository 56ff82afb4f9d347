use std::io::IsTerminal;

use anyhow::Result;

use super::{Context, cli_error};
use crate::cli::RevokeAllArgs;
use crate::error::Error;
use crate::json::RevokedJson;
use crate::ops;
use crate::store::Store;
use crate::{output, text};

pub fn run(mut store: Option<Box<dyn Store>>, args: RevokeAllArgs, ctx: &Context) -> Result<()> {
    let user = ops::user_filter(args.user.as_deref()).map_err(cli_error)?;
    if !args.yes {
        let exists = store.is_some();
        let active = ops::count_active(store.as_deref_mut(), user.as_deref()).map_err(cli_error)?;
        if exists {
            confirm(active, user.as_deref())?;
        }
    }
    let count =
        ops::revoke_all(store.as_deref_mut(), &ctx.core(), user.as_deref()).map_err(cli_error)?;
    if args.json {
        output::print_json(&RevokedJson {
            revoked: count,
            user,
        })?;
    } else {
        let plural = if count == 1 { "" } else { "s" };
        output::print(&format!("Revoked {count} credential{plural}.\n"))?;
    }
    Ok(())
}

/// Asks on a terminal; refuses anywhere else. An interrupted prompt (Ctrl-D, Ctrl-C, Escape,
/// a hangup) declines.
fn confirm(active: u64, user: Option<&str>) -> Result<(), Error> {
    let whose = user.map_or("in the store".to_string(), |u| {
        format!("of user {}", text::clean(u))
    });
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Error::Declined(format!(
            "refusing to revoke all {active} active credentials {whose} without confirmation; \
             pass --yes (stdin is not a terminal)"
        )));
    }
    let prompt = format!("Revoke all {active} active credentials {whose}? This cannot be undone");
    if matches!(ask(&prompt), Ok(true)) {
        Ok(())
    } else {
        Err(Error::Declined("not confirmed; nothing was revoked".into()))
    }
}

/// dialoguer's prompt with the keys read by appw: dialoguer's `Confirm` ignores Ctrl-D (the
/// terminal is in raw mode, so it is a key, not an end of file) and would wait forever. Here
/// y is the only yes; n, Enter (the default), Escape, q, Ctrl-D and Ctrl-C say no, a failed
/// read (the terminal hung up) is an error, and other keys are ignored, as in dialoguer.
fn ask(prompt: &str) -> std::io::Result<bool> {
    use dialoguer::console::{Key, Term};
    use dialoguer::theme::{SimpleTheme, Theme};

    let term = Term::stderr();
    let mut line = String::new();
    SimpleTheme
        .format_confirm_prompt(&mut line, prompt, Some(false))
        .map_err(std::io::Error::other)?;
    term.write_str(&line)?;
    let yes = loop {
        // The raw read hands back Ctrl-C as a key instead of raising SIGINT.
        match term.read_key_raw()? {
            Key::Char('y' | 'Y') => break true,
            Key::Char('n' | 'N' | 'q' | '\u{4}') | Key::Enter | Key::Escape | Key::CtrlC => {
                break false;
            }
            _ => {}
        }
    };
    let mut line = String::new();
    SimpleTheme
        .format_confirm_prompt_selection(&mut line, prompt, Some(yes))
        .map_err(std::io::Error::other)?;
    term.clear_line()?;
    term.write_line(&line)?;
    Ok(yes)
}
