//! `appw copy-store --to DEST`: moves a store between backends without re-issuing any
//! password. The source is read in one snapshot, the destination written in one transaction.

use anyhow::Result;

use super::Context;
use crate::cli::CopyStoreArgs;
use crate::error::Error;
use crate::store::{self, Access, Location, Store};

pub fn run(mut source: Box<dyn Store>, args: CopyStoreArgs, _ctx: &Context) -> Result<()> {
    let to = Location::resolve(Some(args.to.into()))?;
    // Read first: a source that cannot be read leaves no new destination behind. (A failed
    // import leaves the destination empty, which a second copy-store may fill.)
    let dump = source.export()?;
    let mut dest = store::open(&to, Access::Create)?
        .ok_or_else(|| Error::Unavailable("the destination store could not be created".into()))?;
    dest.import(&dump)?;
    let active = dump
        .credentials
        .iter()
        .filter(|c| c.credential.revoked_at.is_none())
        .count();
    crate::output::print(&format!(
        "Copied {} credentials ({active} active) and {} audit events to {}\n",
        dump.credentials.len(),
        dump.events.len(),
        to
    ))?;
    Ok(())
}
