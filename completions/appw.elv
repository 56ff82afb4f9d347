
use builtin;
use str;

set edit:completion:arg-completer[appw] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'appw'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'appw'= {
            cand --db 'The store: a SQLite file, or a postgres:// URL for a shared server'
            cand --kdf 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Issue a new application password for a user and print it once'
            cand list 'List active credentials'
            cand revoke 'Revoke credentials by id (or unambiguous prefix of 8+ characters) or by user and name'
            cand revoke-all 'Revoke every active credential, or every one of a user'
            cand verify 'Check a password; exit 0 if valid, 1 if rejected'
            cand rotate 'Replace a credential''s password in one step; the old one stops working at once'
            cand show 'Show one credential''s metadata'
            cand rename 'Rename a credential'
            cand update 'Change a credential''s scopes, networks or expiry without reissuing its password'
            cand disable 'Pause a credential: it verifies nowhere until enabled, and keeps its hash and history'
            cand enable 'Bring a paused credential back as it was'
            cand log 'Print the audit log, oldest first'
            cand completions 'Print the completion script for a shell'
            cand copy-store 'Copy every credential, hash and audit event into an empty store (SQLite or PostgreSQL)'
            cand serve 'Check application passwords for web servers over HTTP (nginx auth_request, Caddy forward_auth, Traefik forwardAuth)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'appw;create'= {
            cand --user 'The user who owns the credential'
            cand --app-id 'An identifier of the application using it (free text, e.g. a UUID)'
            cand --expires 'Expire after a duration (90d, 12h, 30m) or at an RFC 3339 time'
            cand --scope 'What it may be used for (repeatable); checks that ask for a scope it lacks refuse it'
            cand --allow-from 'Only from this network or address, IPv4 or IPv6 (repeatable)'
            cand --db 'The store: a SQLite file, or a postgres:// URL for a shared server'
            cand --kdf 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES'
            cand --json 'Print one JSON object, the password included'
            cand --porcelain 'Print the password alone on one line, for scripts'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'appw;list'= {
            cand --user 'Only this user''s credentials'
            cand --expiring 'Only credentials that expire within this duration (e.g. 7d)'
            cand --db 'The store: a SQLite file, or a postgres:// URL for a shared server'
            cand --kdf 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES'
            cand --expired 'Only credentials that have expired'
            cand --json 'Print a JSON array'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'appw;revoke'= {
            cand --user 'Revoke by user and name instead of by id'
            cand --name 'The credential''s name (with --user)'
            cand --db 'The store: a SQLite file, or a postgres:// URL for a shared server'
            cand --kdf 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES'
            cand --json 'Print a JSON array of the revoked credentials'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'appw;revoke-all'= {
            cand --user 'Only this user''s credentials'
            cand --db 'The store: a SQLite file, or a postgres:// URL for a shared server'
            cand --kdf 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES'
            cand -y 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand --yes 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand --json 'Print a JSON object with the count'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'appw;verify'= {
            cand --user 'The user the password claims to belong to'
            cand --password-env 'Read the password from this environment variable'
            cand --source 'Where the attempt came from (an IP, a job name), recorded with the use'
            cand --scope 'Accept only a credential that has this scope'
            cand --db 'The store: a SQLite file, or a postgres:// URL for a shared server'
            cand --kdf 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES'
            cand --basic 'Read an HTTP Authorization value (Basic base64(user:password)) from standard input'
            cand -q 'Print nothing on success'
            cand --quiet 'Print nothing on success'
            cand --json 'Print a JSON object on success'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'appw;rotate'= {
            cand --user 'Rotate by user and name instead of by id'
            cand --name 'The credential''s name (with --user)'
            cand --db 'The store: a SQLite file, or a postgres:// URL for a shared server'
            cand --kdf 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES'
            cand --json 'Print one JSON object, the password included'
            cand --porcelain 'Print the password alone on one line, for scripts'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'appw;show'= {
            cand --db 'The store: a SQLite file, or a postgres:// URL for a shared server'
            cand --kdf 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES'
            cand --json 'Print one JSON object'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'appw;rename'= {
            cand --db 'The store: a SQLite file, or a postgres:// URL for a shared server'
            cand --kdf 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES'
            cand --json 'Print the renamed credential as one JSON object'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'appw;update'= {
            cand --scope 'Its scopes become these (repeatable)'
            cand --allow-from 'Its networks become these (repeatable)'
            cand --expires 'It expires after a duration (90d) or at an RFC 3339 time'
            cand --db 'The store: a SQLite file, or a postgres:// URL for a shared server'
            cand --kdf 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES'
            cand --no-scopes 'It has no scopes any more (only checks that ask for none accept it)'
            cand --anywhere 'It may be used from anywhere'
            cand --no-expiry 'It never expires'
            cand --json 'Print the updated credential as a JSON object'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'appw;disable'= {
            cand --db 'The store: a SQLite file, or a postgres:// URL for a shared server'
            cand --kdf 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES'
            cand --json 'Print the credential as one JSON object'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'appw;enable'= {
            cand --db 'The store: a SQLite file, or a postgres:// URL for a shared server'
            cand --kdf 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES'
            cand --json 'Print the credential as one JSON object'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'appw;log'= {
            cand --user 'Only events about this user'
            cand --since 'Only events since a duration ago (24h) or an RFC 3339 time'
            cand --prune 'Delete events older than a duration (180d) or an RFC 3339 time, and print how many'
            cand --db 'The store: a SQLite file, or a postgres:// URL for a shared server'
            cand --kdf 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES'
            cand --json 'Print a JSON array'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'appw;completions'= {
            cand --db 'The store: a SQLite file, or a postgres:// URL for a shared server'
            cand --kdf 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'appw;copy-store'= {
            cand --to 'The destination store: a SQLite file path or a postgres:// URL; it must be empty'
            cand --db 'The store: a SQLite file, or a postgres:// URL for a shared server'
            cand --kdf 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'appw;serve'= {
            cand --listen 'Address to listen on: HOST:PORT ([IPv6]:PORT) or unix:PATH (repeatable)'
            cand --trusted-proxy 'Who may say the client''s address (X-Real-IP / X-Forwarded-For): a proxy''s network or address, or on Unix sockets user:NAME, uid:N, group:NAME, gid:N (repeatable; default nobody)'
            cand --realm 'The realm named in the 401 challenge'
            cand --workers 'argon2 workers (default: one per core)'
            cand --queue 'Verifications that may wait for a worker before new ones get 503'
            cand --max-failures 'Failed attempts from one client within a minute before it gets 429'
            cand --admin-listen 'Also serve the management API and the Application Passwords screen on this address, HOST:PORT or unix:PATH (repeatable); never on --listen''s sockets'
            cand --authorize-origin 'An origin (https://app.example, or http on loopback) that apps asking for a password at /authorize may have it sent to (repeatable)'
            cand --db 'The store: a SQLite file, or a postgres:// URL for a shared server'
            cand --kdf 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'appw;help'= {
            cand create 'Issue a new application password for a user and print it once'
            cand list 'List active credentials'
            cand revoke 'Revoke credentials by id (or unambiguous prefix of 8+ characters) or by user and name'
            cand revoke-all 'Revoke every active credential, or every one of a user'
            cand verify 'Check a password; exit 0 if valid, 1 if rejected'
            cand rotate 'Replace a credential''s password in one step; the old one stops working at once'
            cand show 'Show one credential''s metadata'
            cand rename 'Rename a credential'
            cand update 'Change a credential''s scopes, networks or expiry without reissuing its password'
            cand disable 'Pause a credential: it verifies nowhere until enabled, and keeps its hash and history'
            cand enable 'Bring a paused credential back as it was'
            cand log 'Print the audit log, oldest first'
            cand completions 'Print the completion script for a shell'
            cand copy-store 'Copy every credential, hash and audit event into an empty store (SQLite or PostgreSQL)'
            cand serve 'Check application passwords for web servers over HTTP (nginx auth_request, Caddy forward_auth, Traefik forwardAuth)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'appw;help;create'= {
        }
        &'appw;help;list'= {
        }
        &'appw;help;revoke'= {
        }
        &'appw;help;revoke-all'= {
        }
        &'appw;help;verify'= {
        }
        &'appw;help;rotate'= {
        }
        &'appw;help;show'= {
        }
        &'appw;help;rename'= {
        }
        &'appw;help;update'= {
        }
        &'appw;help;disable'= {
        }
        &'appw;help;enable'= {
        }
        &'appw;help;log'= {
        }
        &'appw;help;completions'= {
        }
        &'appw;help;copy-store'= {
        }
        &'appw;help;serve'= {
        }
        &'appw;help;help'= {
        }
    ]
    $completions[$command]
}
