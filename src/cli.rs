//! The command-line definition, and nothing else: the completion scripts and man pages are
//! generated from this module, so it depends on clap and std only.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Exit status:
  0  success (for verify: the credential is valid)
  1  verify rejected the credential (unknown user, wrong, revoked or expired password)
  2  usage error: bad arguments or invalid values
  3  refused by the store's contents: no such id, ambiguous prefix, duplicate name,
     confirmation declined
  4  the store cannot be used: unreadable, corrupt, newer schema, I/O error

Environment:
  APPW_DB   the store: a SQLite file path or a postgres:// URL (as --db)
  APPW_KDF  argon2id parameters for new hashes (as --kdf)

Store: --db, else $APPW_DB, else $XDG_DATA_HOME/appw/credentials.db
(~/.local/share/appw/credentials.db), created with mode 0600 in a 0700 folder by the
first command that writes.";

/// Manage application passwords: long random secrets issued per integration, shown once,
/// stored only as argon2id hashes, checked with `verify`, revocable one by one or all at once.
#[derive(Parser)]
#[command(name = "appw", version, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    /// The store: a SQLite file, or a postgres:// URL for a shared server
    #[arg(
        long,
        global = true,
        env = "APPW_DB",
        hide_env_values = true,
        value_name = "PATH|URL"
    )]
    pub db: Option<PathBuf>,

    /// argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES
    #[arg(
        long,
        global = true,
        env = "APPW_KDF",
        hide_env_values = true,
        value_name = "PARAMS"
    )]
    pub kdf: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Issue a new application password for a user and print it once
    Create(CreateArgs),
    /// List active credentials
    List(ListArgs),
    /// Revoke credentials by id (or unambiguous prefix of 8+ characters) or by user and name
    Revoke(RevokeArgs),
    /// Revoke every active credential, or every one of a user
    RevokeAll(RevokeAllArgs),
    /// Check a password; exit 0 if valid, 1 if rejected
    Verify(VerifyArgs),
    /// Replace a credential's password in one step; the old one stops working at once
    Rotate(RotateArgs),
    /// Show one credential's metadata
    Show(ShowArgs),
    /// Rename a credential
    Rename(RenameArgs),
    /// Change a credential's scopes, networks or expiry without reissuing its password
    Update(UpdateArgs),
    /// Pause a credential: it verifies nowhere until enabled, and keeps its hash and history
    #[command(
        after_help = "A credential already paused stays as it is: nothing is written, no event is \
                             recorded, and appw says so (exit 0).\n\n\
                             Examples:\n  appw disable k3j4h5g6\n  appw enable k3j4h5g6"
    )]
    Disable(PauseArgs),
    /// Bring a paused credential back as it was
    #[command(
        after_help = "A credential not paused stays as it is, and appw says so (exit 0).\n\n\
                             Examples:\n  appw enable k3j4h5g6"
    )]
    Enable(PauseArgs),
    /// Print the audit log, oldest first
    Log(LogArgs),
    /// Print the completion script for a shell
    Completions(CompletionsArgs),
    /// Copy every credential, hash and audit event into an empty store (SQLite or PostgreSQL)
    CopyStore(CopyStoreArgs),
    /// Check application passwords for web servers over HTTP (nginx auth_request, Caddy
    /// forward_auth, Traefik forwardAuth)
    Serve(ServeArgs),
}

/// How create and rotate print the new password.
#[derive(Args, Clone, Copy)]
#[group(multiple = false)]
pub struct SecretOutput {
    /// Print one JSON object, the password included
    #[arg(long)]
    pub json: bool,
    /// Print the password alone on one line, for scripts
    #[arg(long)]
    pub porcelain: bool,
}

#[derive(Args)]
#[command(
    after_help = "Examples:\n  appw create --user deploy \"GitHub Actions\"\n  \
    PASS=$(appw create --user backup nightly --expires 90d --porcelain)"
)]
pub struct CreateArgs {
    /// The user who owns the credential
    #[arg(long)]
    pub user: String,
    /// What the credential is for, unique among the user's active credentials
    pub name: String,
    /// An identifier of the application using it (free text, e.g. a UUID)
    #[arg(long, value_name = "ID")]
    pub app_id: Option<String>,
    /// Expire after a duration (90d, 12h, 30m) or at an RFC 3339 time
    #[arg(long, value_name = "WHEN")]
    pub expires: Option<String>,
    /// What it may be used for (repeatable); checks that ask for a scope it lacks refuse it
    #[arg(long, value_name = "SCOPE")]
    pub scope: Vec<String>,
    /// Only from this network or address, IPv4 or IPv6 (repeatable)
    #[arg(long, value_name = "CIDR")]
    pub allow_from: Vec<String>,
    #[command(flatten)]
    pub output: SecretOutput,
}

#[derive(Args)]
#[command(
    after_help = "Examples:\n  appw list\n  appw list --user deploy --json\n  \
    appw list --expiring 7d"
)]
pub struct ListArgs {
    /// Only this user's credentials
    #[arg(long)]
    pub user: Option<String>,
    /// Only credentials that have expired
    #[arg(long, conflicts_with = "expiring")]
    pub expired: bool,
    /// Only credentials that expire within this duration (e.g. 7d)
    #[arg(long, value_name = "DURATION")]
    pub expiring: Option<String>,
    /// Print a JSON array
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
#[command(after_help = "Examples:\n  appw revoke k3j4h5g6\n  \
    appw revoke --user deploy --name \"GitHub Actions\"")]
pub struct RevokeArgs {
    /// Credential ids, or unambiguous prefixes of at least 8 characters
    #[arg(required_unless_present = "user", conflicts_with = "user")]
    pub ids: Vec<String>,
    /// Revoke by user and name instead of by id
    #[arg(long, requires = "name")]
    pub user: Option<String>,
    /// The credential's name (with --user)
    #[arg(long, requires = "user")]
    pub name: Option<String>,
    /// Print a JSON array of the revoked credentials
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
#[command(after_help = "Examples:\n  appw revoke-all --user deploy\n  appw revoke-all --yes")]
pub struct RevokeAllArgs {
    /// Only this user's credentials
    #[arg(long)]
    pub user: Option<String>,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short)]
    pub yes: bool,
    /// Print a JSON object with the count
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
#[command(
    after_help = "The password is read from $VAR with --password-env, else from the \
    first line of standard input, else from a hidden prompt; never from an argument. \
    Whitespace in it is ignored.\n\nExamples:\n  \
    APPW_PASSWORD=... appw verify --user deploy --password-env APPW_PASSWORD --quiet\n  \
    printf 'Basic %s\\n' \"$(printf deploy:PASS | base64)\" | appw verify --basic"
)]
pub struct VerifyArgs {
    /// The user the password claims to belong to
    #[arg(long, required_unless_present = "basic", conflicts_with = "basic")]
    pub user: Option<String>,
    /// Read an HTTP Authorization value (Basic base64(user:password)) from standard input
    #[arg(long, conflicts_with = "password_env")]
    pub basic: bool,
    /// Read the password from this environment variable
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Where the attempt came from (an IP, a job name), recorded with the use
    #[arg(long, value_name = "TEXT")]
    pub source: Option<String>,
    /// Accept only a credential that has this scope
    #[arg(long, value_name = "SCOPE")]
    pub scope: Option<String>,
    /// Print nothing on success
    #[arg(long, short, conflicts_with = "json")]
    pub quiet: bool,
    /// Print a JSON object on success
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
#[command(after_help = "Examples:\n  appw rotate k3j4h5g6 --porcelain\n  \
    appw rotate --user deploy --name \"GitHub Actions\" --json")]
pub struct RotateArgs {
    /// Credential id or unambiguous prefix
    #[arg(required_unless_present = "user", conflicts_with = "user")]
    pub id: Option<String>,
    /// Rotate by user and name instead of by id
    #[arg(long, requires = "name")]
    pub user: Option<String>,
    /// The credential's name (with --user)
    #[arg(long, requires = "user")]
    pub name: Option<String>,
    #[command(flatten)]
    pub output: SecretOutput,
}

#[derive(Args)]
#[command(after_help = "Examples:\n  appw show k3j4h5g6\n  appw show k3j4h5g6 --json")]
pub struct ShowArgs {
    /// Credential id or unambiguous prefix
    pub id: String,
    /// Print one JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
#[command(after_help = "Examples:\n  appw rename k3j4h5g6 \"GitHub Actions (prod)\"")]
pub struct RenameArgs {
    /// Credential id or unambiguous prefix
    pub id: String,
    /// The new name, unique among the user's active credentials
    pub new_name: String,
    /// Print the renamed credential as one JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
#[command(
    after_help = "Examples:\n  appw log --since 24h\n  appw log --user deploy --json\n  \
    appw log --prune 180d"
)]
pub struct LogArgs {
    /// Only events about this user
    #[arg(long)]
    pub user: Option<String>,
    /// Only events since a duration ago (24h) or an RFC 3339 time
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Delete events older than a duration (180d) or an RFC 3339 time, and print how many
    #[arg(long, value_name = "BEFORE", conflicts_with_all = ["user", "since"])]
    pub prune: Option<String>,
    /// Print a JSON array
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
#[command(
    after_help = "Examples:\n  appw completions bash > ~/.local/share/bash-completion/completions/appw\n  \
    appw completions zsh > ~/.zfunc/_appw\n  \
    appw completions fish > ~/.config/fish/completions/appw.fish"
)]
pub struct CompletionsArgs {
    /// The shell to generate for
    pub shell: Shell,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

#[derive(Args)]
#[command(
    after_help = "Passwords keep working: hashes and metadata move as they are, in one \
    transaction on the destination. A password in a --to URL is visible to other users in the \
    process list: put it in ~/.pgpass or $PGPASSWORD instead.\n\nExamples:\n  \
    appw --db ~/.local/share/appw/credentials.db copy-store --to postgres://appw@db.internal/appw\n  \
    APPW_DB=postgres://appw@db.internal/appw appw copy-store --to ./credentials.db"
)]
pub struct CopyStoreArgs {
    /// The destination store: a SQLite file path or a postgres:// URL; it must be empty
    #[arg(long, value_name = "PATH|URL")]
    pub to: String,
}

#[derive(Args)]
#[command(after_help = "Endpoints:\n  \
    /auth[?scope=SCOPE]  204 valid, 401 rejected, 403 scope or network, 429 throttled, 503 store\n  \
    /healthz             200 while the process runs\n  \
    /readyz              200 when the store answers, else 503\n  \
    /metrics             Prometheus text format\n\n\
    Examples:\n  appw serve\n  \
    appw serve --listen 127.0.0.1:9180 --listen unix:/run/appw/auth.sock\n\n\
    Under systemd socket activation (LISTEN_FDS) it serves the sockets it is given.")]
pub struct ServeArgs {
    /// Address to listen on: HOST:PORT ([IPv6]:PORT) or unix:PATH (repeatable)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9180")]
    pub listen: Vec<String>,
    /// Who may say the client's address (X-Real-IP / X-Forwarded-For): a proxy's network
    /// or address, or on Unix sockets user:NAME, uid:N, group:NAME, gid:N (repeatable;
    /// default nobody)
    #[arg(long, value_name = "CIDR")]
    pub trusted_proxy: Vec<String>,
    /// The realm named in the 401 challenge
    #[arg(long, value_name = "TEXT", default_value = "appw")]
    pub realm: String,
    /// argon2 workers (default: one per core)
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Verifications that may wait for a worker before new ones get 503
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub queue: usize,
    /// Failed attempts from one client within a minute before it gets 429
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_failures: u32,
    /// Also serve the management API and the Application Passwords screen on this address,
    /// HOST:PORT or unix:PATH (repeatable); never on --listen's sockets
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Vec<String>,
    /// An origin (https://app.example, or http on loopback) that apps asking for a password
    /// at /authorize may have it sent to (repeatable)
    #[arg(long, value_name = "ORIGIN")]
    pub authorize_origin: Vec<String>,
}

#[derive(Args)]
#[command(
    after_help = "Each option given replaces that attribute; the others stay.\n\n\
    Examples:\n  appw update k3j4h5g6 --scope deploy --scope api:read\n  \
    appw update k3j4h5g6 --allow-from 192.0.2.0/24 --allow-from 2001:db8::/32\n  \
    appw update k3j4h5g6 --anywhere --no-expiry"
)]
pub struct UpdateArgs {
    /// Credential id or unambiguous prefix
    pub id: String,
    /// Its scopes become these (repeatable)
    #[arg(long, value_name = "SCOPE", conflicts_with = "no_scopes")]
    pub scope: Vec<String>,
    /// It has no scopes any more (only checks that ask for none accept it)
    #[arg(long)]
    pub no_scopes: bool,
    /// Its networks become these (repeatable)
    #[arg(long, value_name = "CIDR", conflicts_with = "anywhere")]
    pub allow_from: Vec<String>,
    /// It may be used from anywhere
    #[arg(long)]
    pub anywhere: bool,
    /// It expires after a duration (90d) or at an RFC 3339 time
    #[arg(long, value_name = "WHEN", conflicts_with = "no_expiry")]
    pub expires: Option<String>,
    /// It never expires
    #[arg(long)]
    pub no_expiry: bool,
    /// Print the updated credential as a JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct PauseArgs {
    /// Credential id or unambiguous prefix
    pub id: String,
    /// Print the credential as one JSON object
    #[arg(long)]
    pub json: bool,
}
