//! The generated files checked in under `completions/` and `man/`, built from
//! `appw::cli::Cli::command()` exactly as `appw completions SHELL` builds the scripts.
//! `shell::generated_assets_are_up_to_date` compares them with the files, or writes them
//! with `APPW_REGENERATE=1`.

use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Inline, Roff, bold, roman};

/// One generated file: its path relative to the repository root, and its contents.
pub struct Asset {
    pub path: String,
    pub contents: String,
}

/// The manual's date, in `.TH`. A fixed date keeps the pages reproducible; it names the
/// release of the manual, not the day it was generated.
const DATE: &str = "2026-11-30";

/// The completion script files, named as each shell looks them up.
pub const COMPLETIONS: [(clap_complete::Shell, &str, &str); 5] = [
    (clap_complete::Shell::Bash, "bash", "completions/appw.bash"),
    (clap_complete::Shell::Zsh, "zsh", "completions/_appw"),
    (clap_complete::Shell::Fish, "fish", "completions/appw.fish"),
    (
        clap_complete::Shell::Elvish,
        "elvish",
        "completions/appw.elv",
    ),
    (
        clap_complete::Shell::PowerShell,
        "powershell",
        "completions/appw.ps1",
    ),
];

pub fn all() -> Vec<Asset> {
    let mut assets: Vec<Asset> = COMPLETIONS
        .iter()
        .map(|&(shell, _, path)| Asset {
            path: path.to_string(),
            contents: completion(shell),
        })
        .collect();
    assets.extend(man_pages());
    assets
}

pub fn completion(shell: clap_complete::Shell) -> String {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut appw::cli::Cli::command(), "appw", &mut script);
    String::from_utf8(script).expect("completion scripts are UTF-8")
}

/// `man/appw.1` and one `man/appw-COMMAND.1` per subcommand.
pub fn man_pages() -> Vec<Asset> {
    let mut root = appw::cli::Cli::command().disable_help_subcommand(true);
    root.build();
    let subcommands: Vec<clap::Command> = root
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect();
    let mut pages = vec![Asset {
        path: "man/appw.1".into(),
        contents: page(&root, &subcommands, true),
    }];
    for sub in &subcommands {
        pages.push(Asset {
            path: format!("man/{}.1", page_name(sub)),
            contents: page(sub, &subcommands, false),
        });
    }
    pages
}

fn page_name(cmd: &clap::Command) -> String {
    cmd.get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string()
}

/// clap_mangen's sections (without its free-form EXTRA and VERSION sections), then the
/// ones every page of a command-line tool should have.
fn page(cmd: &clap::Command, subcommands: &[clap::Command], is_root: bool) -> String {
    let man = Man::new(cmd.clone())
        .date(DATE)
        .source(format!("appw {}", env!("CARGO_PKG_VERSION")))
        .manual("appw manual");
    let (notes, examples) = split_after_help(cmd);
    // One roff preamble for the page; `render` strips the one each section writer adds.
    let mut out = Roff::new().render();
    out += &render(|w| man.render_title(w));
    out += &render(|w| man.render_name_section(w));
    out += &render(|w| man.render_synopsis_section(w));
    out += &render(|w| man.render_description_section(w));
    out += &roff(|r| {
        for paragraph in notes.split("\n\n").filter(|p| !p.trim().is_empty()) {
            r.control("PP", []);
            r.text([roman(paragraph.trim().replace('\n', " "))]);
        }
    });
    out += &render(|w| man.render_options_section(w));
    if cmd.has_subcommands() {
        out += &render(|w| man.render_subcommands_section(w));
    }
    out += &roff(|r| {
        if let Some((shape, keys)) = json_output(cmd.get_name()) {
            json_section(r, shape, keys);
        }
        exit_status(r);
        environment(r);
        files(r);
        let examples = if is_root {
            ROOT_EXAMPLES.iter().map(|s| s.to_string()).collect()
        } else {
            examples
        };
        examples_section(r, &examples);
        see_also(r, cmd, subcommands, is_root);
    });
    out
}

/// A subcommand's `after_help`: free text, then an `Examples:` block of indented lines.
/// The root's `after_help` (exit status, environment, store) has sections of its own here.
fn split_after_help(cmd: &clap::Command) -> (String, Vec<String>) {
    if cmd.has_subcommands() {
        return (String::new(), Vec::new());
    }
    let text = cmd
        .get_after_help()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let (notes, examples) = text.split_once("Examples:").unwrap_or((&text, ""));
    let examples = examples
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    (notes.trim().to_string(), examples)
}

/// Renders through one of clap_mangen's section writers, keeping one roff preamble per
/// page (each writer starts with it).
fn render(section: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut buf = Vec::new();
    section(&mut buf).expect("writing to memory");
    let text = String::from_utf8(buf).expect("roff is UTF-8");
    let text = text
        .strip_prefix(&Roff::new().render())
        .unwrap_or(&text)
        .to_string();
    // clap_mangen breaks, skips a line and breaks again before possible values, which
    // mandoc flags; one break reads the same.
    text.replace(".br\n\n.br\n", ".br\n")
}

fn roff(build: impl FnOnce(&mut Roff)) -> String {
    let mut r = Roff::new();
    build(&mut r);
    render(|w| r.to_writer(w))
}

/// A tagged paragraph: `term` in bold, then its description.
fn item(r: &mut Roff, term: impl Into<Vec<Inline>>, text: &str) {
    r.control("TP", []);
    r.text(term);
    r.text([roman(text)]);
}

const CREDENTIAL_KEYS: &[(&str, &str)] = &[
    ("id", "the credential id: 12 lowercase letters and digits"),
    ("user", "the user who owns it"),
    ("name", "what it is for"),
    (
        "app_id",
        "the application identifier given at creation, or null",
    ),
    ("created", "when it was created"),
    ("last_used", "when it last verified, or null"),
    (
        "last_source",
        "the --source of the last successful verify, or null",
    ),
    ("use_count", "how many times it verified"),
    ("expires_at", "when it expires, or null"),
    ("expired", "true once expires_at has passed"),
    (
        "last_failed",
        "when a wrong password was last given for it, or null",
    ),
    (
        "last_failed_source",
        "the --source of that failure, or null",
    ),
    ("revoked_at", "when it was revoked, or null while active"),
    (
        "scopes",
        "what it may be used for (an array of strings; [] when none)",
    ),
    (
        "allow_from",
        "networks it may be used from, as written (an array; [] when anywhere)",
    ),
    (
        "disabled",
        "true while it is paused (appw disable): it then verifies nowhere until appw enable",
    ),
];

const WITH_PASSWORD: &[(&str, &str)] = &[(
    "password",
    "the new password, without spaces; printed this once and never again",
)];

const VERIFY_KEYS: &[(&str, &str)] = &[
    ("valid", "true"),
    ("id", "the credential that matched"),
    ("user", "its user"),
    ("name", "its name"),
];

const REVOKE_ALL_KEYS: &[(&str, &str)] = &[
    ("revoked", "how many credentials were revoked"),
    ("user", "the --user given, or null for the whole store"),
];

const EVENT_KEYS: &[(&str, &str)] = &[
    ("seq", "the event's sequence number"),
    ("at", "when it happened"),
    (
        "event",
        "created, verified, rejected, expired-on-use, rotated, renamed, updated, disabled, \
         enabled, revoked, revoke-all or pruned",
    ),
    ("user", "the user concerned, or null"),
    ("credential_id", "the credential concerned, or null"),
    ("name", "the credential's name, or null"),
    ("source", "the --source given, or null"),
    (
        "detail",
        "more about it (a rejection's reason, a count), or null",
    ),
    (
        "count",
        "how many identical occurrences the event stands for (at is the last); 1 for a single one",
    ),
    (
        "actor",
        "who made the change: cli: and the operating-system user who ran appw (cli:root), or \
         credential: and the id that signed in over HTTP; null for uses and rejections",
    ),
    ("pruned", "with --prune: how many events were deleted"),
    ("before", "with --prune: the cut-off time"),
];

/// What `--json` prints, per subcommand: the document's shape, then its keys.
pub fn json_output(command: &str) -> Option<(&'static str, Vec<(&'static str, &'static str)>)> {
    let creds = CREDENTIAL_KEYS.to_vec();
    Some(match command {
        "create" | "rotate" => (
            "one object: the new credential, as in appw-list(1), plus its password.",
            [CREDENTIAL_KEYS, WITH_PASSWORD].concat(),
        ),
        "list" => ("an array of objects, one per credential.", creds),
        "show" => ("one object: the credential.", creds),
        "rename" => ("one object: the credential under its new name.", creds),
        "update" => ("one object: the credential as updated.", creds.clone()),
        "disable" | "enable" => ("one object: the credential as it now is.", creds.clone()),
        "revoke" => ("an array of objects: the revoked credentials.", creds),
        "revoke-all" => ("one object.", REVOKE_ALL_KEYS.to_vec()),
        "verify" => (
            "on success, one object; a rejection prints nothing on standard output.",
            VERIFY_KEYS.to_vec(),
        ),
        "log" => (
            "an array of events, oldest first; with --prune, one object with pruned and before.",
            EVENT_KEYS.to_vec(),
        ),
        _ => return None,
    })
}

fn json_section(r: &mut Roff, shape: &str, keys: Vec<(&str, &str)>) {
    r.control("SH", ["JSON OUTPUT"]);
    r.text([
        roman("With "),
        bold("--json"),
        roman(format!(
            ", standard output holds one JSON document, {shape} \
             Times are RFC 3339 UTC strings; absent values are null. Keys may be added in \
             later versions, never renamed or removed. Errors still go to standard error as \
             one line, and standard output then stays empty."
        )),
    ]);
    for (key, text) in keys {
        item(r, [bold(key)], text);
    }
}

const EXIT_CODES: &[(&str, &str)] = &[
    ("0", "Success (for verify: the credential is valid)."),
    (
        "1",
        "verify rejected the credential (unknown user, wrong, revoked or expired password).",
    ),
    ("2", "Usage error: bad arguments or invalid values."),
    (
        "3",
        "Refused by the store's contents: no such id, ambiguous prefix, duplicate name, \
         confirmation declined.",
    ),
    (
        "4",
        "The store cannot be used: unreadable, corrupt, newer schema, I/O error.",
    ),
];

fn exit_status(r: &mut Roff) {
    r.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in EXIT_CODES {
        item(r, [bold(*code)], meaning);
    }
    r.control("PP", []);
    r.text([roman(
        "Errors are one line on standard error, starting with appw:, and never contain a \
         password or a hash.",
    )]);
}

fn environment(r: &mut Roff) {
    r.control("SH", ["ENVIRONMENT"]);
    item(
        r,
        [bold("APPW_DB")],
        "The store, as --db: a SQLite file path, or a postgres:// or postgresql:// URL for a \
         store shared by many hosts. --db takes precedence.",
    );
    item(
        r,
        [bold("APPW_KDF")],
        "The argon2id parameters new hashes get, as --kdf: m=KIB,t=ITERATIONS,p=LANES. \
         Default m=19456,t=2,p=1.",
    );
    item(
        r,
        [bold("XDG_DATA_HOME")],
        "Where the default store lives (see FILES); ~/.local/share when unset.",
    );
    item(
        r,
        [bold("APPW_NOW")],
        "A testing aid, honoured only by debug builds (what cargo test runs): an RFC 3339 \
         time that replaces the clock, so expiry and the log can be tested deterministically. \
         Release builds ignore it.",
    );
    item(
        r,
        [bold("APPW_HUGE_PAGES")],
        "0 or off makes argon2id take its memory from the ordinary allocator instead of \
         transparent huge pages (Linux), for comparisons and kernels where huge pages misbehave.",
    );
}

fn files(r: &mut Roff) {
    r.control("SH", ["FILES"]);
    item(
        r,
        [bold("~/.local/share/appw/credentials.db")],
        "The default store ($XDG_DATA_HOME/appw/credentials.db), used unless --db or APPW_DB \
         names another. Created by the first command that writes, with mode 0600 in a folder \
         of mode 0700; commands that only read (list, verify) never create it.",
    );
    item(
        r,
        [
            bold("~/.local/share/appw/credentials.db-wal"),
            roman(", "),
            bold("credentials.db-shm"),
        ],
        "SQLite's write-ahead log and shared-memory index next to the store, also mode 0600. \
         Copy or back up the store with them, or while no appw runs.",
    );
}

const ROOT_EXAMPLES: &[&str] = &[
    "appw create --user deploy \"GitHub Actions\"",
    "appw list",
    "printf '%s\\n' \"$PASSWORD\" | appw verify --user deploy --quiet && echo valid",
    "appw revoke k3j4h5g6",
    "appw revoke-all --user deploy --yes",
];

fn examples_section(r: &mut Roff, examples: &[String]) {
    if examples.is_empty() {
        return;
    }
    r.control("SH", ["EXAMPLES"]);
    r.control("RS", ["4"]);
    r.control("nf", []);
    for line in examples {
        r.text([roman(line.as_str())]);
    }
    r.control("fi", []);
    r.control("RE", []);
}

fn see_also(r: &mut Roff, cmd: &clap::Command, subcommands: &[clap::Command], is_root: bool) {
    let mut names: Vec<String> = if is_root {
        subcommands.iter().map(page_name).collect()
    } else {
        vec!["appw".into()]
    };
    if cmd.get_name() == "verify" || is_root {
        names.push("curl".into());
    }
    r.control("SH", ["SEE ALSO"]);
    let mut line = Vec::new();
    for (i, name) in names.iter().enumerate() {
        line.push(bold(name.as_str()));
        let sep = if i + 1 == names.len() { "" } else { ", " };
        line.push(roman(format!("(1){sep}")));
    }
    r.text(line);
}
