//! `appw serve`: the server's settings, checked, from its arguments and the process's
//! environment; then the server, which knows nothing of the command line.

use anyhow::Result;

use super::Process;
use crate::cli::ServeArgs;
use crate::error::Error;
use crate::secret::KdfParams;
use crate::serve::{self, Config};
use crate::store::Location;

pub fn run(args: ServeArgs, location: Location, kdf: KdfParams, process: Process) -> Result<()> {
    serve::run(config(args, kdf, process)?, location)
}

fn config(args: ServeArgs, kdf: KdfParams, process: Process) -> Result<Config, Error> {
    let listen = args
        .listen
        .iter()
        .map(|a| serve::address(a))
        .collect::<Result<_, _>>()?;
    let admin_listen = args
        .admin_listen
        .iter()
        .map(|a| serve::address(a))
        .collect::<Result<_, _>>()?;
    let authorize_origins = args
        .authorize_origin
        .iter()
        .map(|o| {
            crate::web::authorize_origin(o).map_err(|why| {
                Error::Usage(format!(
                    "--authorize-origin {}: {why}",
                    crate::secret::redact::quoted(o.trim())
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    let trusted = serve::Trust::parse(&args.trusted_proxy)?;
    if args
        .realm
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control())
    {
        return Err(Error::Usage(
            "--realm cannot hold quotes, backslashes or control characters".into(),
        ));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Ok(Config {
        listen,
        admin_listen,
        authorize_origins,
        trusted,
        realm: args.realm,
        workers: args.workers.unwrap_or(cores).max(1),
        queue: args.queue.max(1),
        max_failures: args.max_failures,
        kdf,
        huge_pages: process.huge_pages,
        clock: process.clock,
    })
}
