# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_appw_global_optspecs
    string join \n db= kdf= h/help V/version
end

function __fish_appw_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_appw_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_appw_using_subcommand
    set -l cmd (__fish_appw_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c appw -n "__fish_appw_needs_command" -l db -d 'The store: a SQLite file, or a postgres:// URL for a shared server' -r -F
complete -c appw -n "__fish_appw_needs_command" -l kdf -d 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES' -r
complete -c appw -n "__fish_appw_needs_command" -s h -l help -d 'Print help'
complete -c appw -n "__fish_appw_needs_command" -s V -l version -d 'Print version'
complete -c appw -n "__fish_appw_needs_command" -f -a "create" -d 'Issue a new application password for a user and print it once'
complete -c appw -n "__fish_appw_needs_command" -f -a "list" -d 'List active credentials'
complete -c appw -n "__fish_appw_needs_command" -f -a "revoke" -d 'Revoke credentials by id (or unambiguous prefix of 8+ characters) or by user and name'
complete -c appw -n "__fish_appw_needs_command" -f -a "revoke-all" -d 'Revoke every active credential, or every one of a user'
complete -c appw -n "__fish_appw_needs_command" -f -a "verify" -d 'Check a password; exit 0 if valid, 1 if rejected'
complete -c appw -n "__fish_appw_needs_command" -f -a "rotate" -d 'Replace a credential\'s password in one step; the old one stops working at once'
complete -c appw -n "__fish_appw_needs_command" -f -a "show" -d 'Show one credential\'s metadata'
complete -c appw -n "__fish_appw_needs_command" -f -a "rename" -d 'Rename a credential'
complete -c appw -n "__fish_appw_needs_command" -f -a "update" -d 'Change a credential\'s scopes, networks or expiry without reissuing its password'
complete -c appw -n "__fish_appw_needs_command" -f -a "disable" -d 'Pause a credential: it verifies nowhere until enabled, and keeps its hash and history'
complete -c appw -n "__fish_appw_needs_command" -f -a "enable" -d 'Bring a paused credential back as it was'
complete -c appw -n "__fish_appw_needs_command" -f -a "log" -d 'Print the audit log, oldest first'
complete -c appw -n "__fish_appw_needs_command" -f -a "completions" -d 'Print the completion script for a shell'
complete -c appw -n "__fish_appw_needs_command" -f -a "copy-store" -d 'Copy every credential, hash and audit event into an empty store (SQLite or PostgreSQL)'
complete -c appw -n "__fish_appw_needs_command" -f -a "serve" -d 'Check application passwords for web servers over HTTP (nginx auth_request, Caddy forward_auth, Traefik forwardAuth)'
complete -c appw -n "__fish_appw_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c appw -n "__fish_appw_using_subcommand create" -l user -d 'The user who owns the credential' -r
complete -c appw -n "__fish_appw_using_subcommand create" -l app-id -d 'An identifier of the application using it (free text, e.g. a UUID)' -r
complete -c appw -n "__fish_appw_using_subcommand create" -l expires -d 'Expire after a duration (90d, 12h, 30m) or at an RFC 3339 time' -r
complete -c appw -n "__fish_appw_using_subcommand create" -l scope -d 'What it may be used for (repeatable); checks that ask for a scope it lacks refuse it' -r
complete -c appw -n "__fish_appw_using_subcommand create" -l allow-from -d 'Only from this network or address, IPv4 or IPv6 (repeatable)' -r
complete -c appw -n "__fish_appw_using_subcommand create" -l db -d 'The store: a SQLite file, or a postgres:// URL for a shared server' -r -F
complete -c appw -n "__fish_appw_using_subcommand create" -l kdf -d 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES' -r
complete -c appw -n "__fish_appw_using_subcommand create" -l json -d 'Print one JSON object, the password included'
complete -c appw -n "__fish_appw_using_subcommand create" -l porcelain -d 'Print the password alone on one line, for scripts'
complete -c appw -n "__fish_appw_using_subcommand create" -s h -l help -d 'Print help'
complete -c appw -n "__fish_appw_using_subcommand list" -l user -d 'Only this user\'s credentials' -r
complete -c appw -n "__fish_appw_using_subcommand list" -l expiring -d 'Only credentials that expire within this duration (e.g. 7d)' -r
complete -c appw -n "__fish_appw_using_subcommand list" -l db -d 'The store: a SQLite file, or a postgres:// URL for a shared server' -r -F
complete -c appw -n "__fish_appw_using_subcommand list" -l kdf -d 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES' -r
complete -c appw -n "__fish_appw_using_subcommand list" -l expired -d 'Only credentials that have expired'
complete -c appw -n "__fish_appw_using_subcommand list" -l json -d 'Print a JSON array'
complete -c appw -n "__fish_appw_using_subcommand list" -s h -l help -d 'Print help'
complete -c appw -n "__fish_appw_using_subcommand revoke" -l user -d 'Revoke by user and name instead of by id' -r
complete -c appw -n "__fish_appw_using_subcommand revoke" -l name -d 'The credential\'s name (with --user)' -r
complete -c appw -n "__fish_appw_using_subcommand revoke" -l db -d 'The store: a SQLite file, or a postgres:// URL for a shared server' -r -F
complete -c appw -n "__fish_appw_using_subcommand revoke" -l kdf -d 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES' -r
complete -c appw -n "__fish_appw_using_subcommand revoke" -l json -d 'Print a JSON array of the revoked credentials'
complete -c appw -n "__fish_appw_using_subcommand revoke" -s h -l help -d 'Print help'
complete -c appw -n "__fish_appw_using_subcommand revoke-all" -l user -d 'Only this user\'s credentials' -r
complete -c appw -n "__fish_appw_using_subcommand revoke-all" -l db -d 'The store: a SQLite file, or a postgres:// URL for a shared server' -r -F
complete -c appw -n "__fish_appw_using_subcommand revoke-all" -l kdf -d 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES' -r
complete -c appw -n "__fish_appw_using_subcommand revoke-all" -s y -l yes -d 'Do not ask for confirmation (required when stdin is not a terminal)'
complete -c appw -n "__fish_appw_using_subcommand revoke-all" -l json -d 'Print a JSON object with the count'
complete -c appw -n "__fish_appw_using_subcommand revoke-all" -s h -l help -d 'Print help'
complete -c appw -n "__fish_appw_using_subcommand verify" -l user -d 'The user the password claims to belong to' -r
complete -c appw -n "__fish_appw_using_subcommand verify" -l password-env -d 'Read the password from this environment variable' -r
complete -c appw -n "__fish_appw_using_subcommand verify" -l source -d 'Where the attempt came from (an IP, a job name), recorded with the use' -r
complete -c appw -n "__fish_appw_using_subcommand verify" -l scope -d 'Accept only a credential that has this scope' -r
complete -c appw -n "__fish_appw_using_subcommand verify" -l db -d 'The store: a SQLite file, or a postgres:// URL for a shared server' -r -F
complete -c appw -n "__fish_appw_using_subcommand verify" -l kdf -d 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES' -r
complete -c appw -n "__fish_appw_using_subcommand verify" -l basic -d 'Read an HTTP Authorization value (Basic base64(user:password)) from standard input'
complete -c appw -n "__fish_appw_using_subcommand verify" -s q -l quiet -d 'Print nothing on success'
complete -c appw -n "__fish_appw_using_subcommand verify" -l json -d 'Print a JSON object on success'
complete -c appw -n "__fish_appw_using_subcommand verify" -s h -l help -d 'Print help'
complete -c appw -n "__fish_appw_using_subcommand rotate" -l user -d 'Rotate by user and name instead of by id' -r
complete -c appw -n "__fish_appw_using_subcommand rotate" -l name -d 'The credential\'s name (with --user)' -r
complete -c appw -n "__fish_appw_using_subcommand rotate" -l db -d 'The store: a SQLite file, or a postgres:// URL for a shared server' -r -F
complete -c appw -n "__fish_appw_using_subcommand rotate" -l kdf -d 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES' -r
complete -c appw -n "__fish_appw_using_subcommand rotate" -l json -d 'Print one JSON object, the password included'
complete -c appw -n "__fish_appw_using_subcommand rotate" -l porcelain -d 'Print the password alone on one line, for scripts'
complete -c appw -n "__fish_appw_using_subcommand rotate" -s h -l help -d 'Print help'
complete -c appw -n "__fish_appw_using_subcommand show" -l db -d 'The store: a SQLite file, or a postgres:// URL for a shared server' -r -F
complete -c appw -n "__fish_appw_using_subcommand show" -l kdf -d 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES' -r
complete -c appw -n "__fish_appw_using_subcommand show" -l json -d 'Print one JSON object'
complete -c appw -n "__fish_appw_using_subcommand show" -s h -l help -d 'Print help'
complete -c appw -n "__fish_appw_using_subcommand rename" -l db -d 'The store: a SQLite file, or a postgres:// URL for a shared server' -r -F
complete -c appw -n "__fish_appw_using_subcommand rename" -l kdf -d 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES' -r
complete -c appw -n "__fish_appw_using_subcommand rename" -l json -d 'Print the renamed credential as one JSON object'
complete -c appw -n "__fish_appw_using_subcommand rename" -s h -l help -d 'Print help'
complete -c appw -n "__fish_appw_using_subcommand update" -l scope -d 'Its scopes become these (repeatable)' -r
complete -c appw -n "__fish_appw_using_subcommand update" -l allow-from -d 'Its networks become these (repeatable)' -r
complete -c appw -n "__fish_appw_using_subcommand update" -l expires -d 'It expires after a duration (90d) or at an RFC 3339 time' -r
complete -c appw -n "__fish_appw_using_subcommand update" -l db -d 'The store: a SQLite file, or a postgres:// URL for a shared server' -r -F
complete -c appw -n "__fish_appw_using_subcommand update" -l kdf -d 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES' -r
complete -c appw -n "__fish_appw_using_subcommand update" -l no-scopes -d 'It has no scopes any more (only checks that ask for none accept it)'
complete -c appw -n "__fish_appw_using_subcommand update" -l anywhere -d 'It may be used from anywhere'
complete -c appw -n "__fish_appw_using_subcommand update" -l no-expiry -d 'It never expires'
complete -c appw -n "__fish_appw_using_subcommand update" -l json -d 'Print the updated credential as a JSON object'
complete -c appw -n "__fish_appw_using_subcommand update" -s h -l help -d 'Print help'
complete -c appw -n "__fish_appw_using_subcommand disable" -l db -d 'The store: a SQLite file, or a postgres:// URL for a shared server' -r -F
complete -c appw -n "__fish_appw_using_subcommand disable" -l kdf -d 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES' -r
complete -c appw -n "__fish_appw_using_subcommand disable" -l json -d 'Print the credential as one JSON object'
complete -c appw -n "__fish_appw_using_subcommand disable" -s h -l help -d 'Print help'
complete -c appw -n "__fish_appw_using_subcommand enable" -l db -d 'The store: a SQLite file, or a postgres:// URL for a shared server' -r -F
complete -c appw -n "__fish_appw_using_subcommand enable" -l kdf -d 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES' -r
complete -c appw -n "__fish_appw_using_subcommand enable" -l json -d 'Print the credential as one JSON object'
complete -c appw -n "__fish_appw_using_subcommand enable" -s h -l help -d 'Print help'
complete -c appw -n "__fish_appw_using_subcommand log" -l user -d 'Only events about this user' -r
complete -c appw -n "__fish_appw_using_subcommand log" -l since -d 'Only events since a duration ago (24h) or an RFC 3339 time' -r
complete -c appw -n "__fish_appw_using_subcommand log" -l prune -d 'Delete events older than a duration (180d) or an RFC 3339 time, and print how many' -r
complete -c appw -n "__fish_appw_using_subcommand log" -l db -d 'The store: a SQLite file, or a postgres:// URL for a shared server' -r -F
complete -c appw -n "__fish_appw_using_subcommand log" -l kdf -d 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES' -r
complete -c appw -n "__fish_appw_using_subcommand log" -l json -d 'Print a JSON array'
complete -c appw -n "__fish_appw_using_subcommand log" -s h -l help -d 'Print help'
complete -c appw -n "__fish_appw_using_subcommand completions" -l db -d 'The store: a SQLite file, or a postgres:// URL for a shared server' -r -F
complete -c appw -n "__fish_appw_using_subcommand completions" -l kdf -d 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES' -r
complete -c appw -n "__fish_appw_using_subcommand completions" -s h -l help -d 'Print help'
complete -c appw -n "__fish_appw_using_subcommand copy-store" -l to -d 'The destination store: a SQLite file path or a postgres:// URL; it must be empty' -r
complete -c appw -n "__fish_appw_using_subcommand copy-store" -l db -d 'The store: a SQLite file, or a postgres:// URL for a shared server' -r -F
complete -c appw -n "__fish_appw_using_subcommand copy-store" -l kdf -d 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES' -r
complete -c appw -n "__fish_appw_using_subcommand copy-store" -s h -l help -d 'Print help'
complete -c appw -n "__fish_appw_using_subcommand serve" -l listen -d 'Address to listen on: HOST:PORT ([IPv6]:PORT) or unix:PATH (repeatable)' -r
complete -c appw -n "__fish_appw_using_subcommand serve" -l trusted-proxy -d 'Who may say the client\'s address (X-Real-IP / X-Forwarded-For): a proxy\'s network or address, or on Unix sockets user:NAME, uid:N, group:NAME, gid:N (repeatable; default nobody)' -r
complete -c appw -n "__fish_appw_using_subcommand serve" -l realm -d 'The realm named in the 401 challenge' -r
complete -c appw -n "__fish_appw_using_subcommand serve" -l workers -d 'argon2 workers (default: one per core)' -r
complete -c appw -n "__fish_appw_using_subcommand serve" -l queue -d 'Verifications that may wait for a worker before new ones get 503' -r
complete -c appw -n "__fish_appw_using_subcommand serve" -l max-failures -d 'Failed attempts from one client within a minute before it gets 429' -r
complete -c appw -n "__fish_appw_using_subcommand serve" -l admin-listen -d 'Also serve the management API and the Application Passwords screen on this address, HOST:PORT or unix:PATH (repeatable); never on --listen\'s sockets' -r
complete -c appw -n "__fish_appw_using_subcommand serve" -l authorize-origin -d 'An origin (https://app.example, or http on loopback) that apps asking for a password at /authorize may have it sent to (repeatable)' -r
complete -c appw -n "__fish_appw_using_subcommand serve" -l db -d 'The store: a SQLite file, or a postgres:// URL for a shared server' -r -F
complete -c appw -n "__fish_appw_using_subcommand serve" -l kdf -d 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES' -r
complete -c appw -n "__fish_appw_using_subcommand serve" -s h -l help -d 'Print help'
complete -c appw -n "__fish_appw_using_subcommand help; and not __fish_seen_subcommand_from create list revoke revoke-all verify rotate show rename update disable enable log completions copy-store serve help" -f -a "create" -d 'Issue a new application password for a user and print it once'
complete -c appw -n "__fish_appw_using_subcommand help; and not __fish_seen_subcommand_from create list revoke revoke-all verify rotate show rename update disable enable log completions copy-store serve help" -f -a "list" -d 'List active credentials'
complete -c appw -n "__fish_appw_using_subcommand help; and not __fish_seen_subcommand_from create list revoke revoke-all verify rotate show rename update disable enable log completions copy-store serve help" -f -a "revoke" -d 'Revoke credentials by id (or unambiguous prefix of 8+ characters) or by user and name'
complete -c appw -n "__fish_appw_using_subcommand help; and not __fish_seen_subcommand_from create list revoke revoke-all verify rotate show rename update disable enable log completions copy-store serve help" -f -a "revoke-all" -d 'Revoke every active credential, or every one of a user'
complete -c appw -n "__fish_appw_using_subcommand help; and not __fish_seen_subcommand_from create list revoke revoke-all verify rotate show rename update disable enable log completions copy-store serve help" -f -a "verify" -d 'Check a password; exit 0 if valid, 1 if rejected'
complete -c appw -n "__fish_appw_using_subcommand help; and not __fish_seen_subcommand_from create list revoke revoke-all verify rotate show rename update disable enable log completions copy-store serve help" -f -a "rotate" -d 'Replace a credential\'s password in one step; the old one stops working at once'
complete -c appw -n "__fish_appw_using_subcommand help; and not __fish_seen_subcommand_from create list revoke revoke-all verify rotate show rename update disable enable log completions copy-store serve help" -f -a "show" -d 'Show one credential\'s metadata'
complete -c appw -n "__fish_appw_using_subcommand help; and not __fish_seen_subcommand_from create list revoke revoke-all verify rotate show rename update disable enable log completions copy-store serve help" -f -a "rename" -d 'Rename a credential'
complete -c appw -n "__fish_appw_using_subcommand help; and not __fish_seen_subcommand_from create list revoke revoke-all verify rotate show rename update disable enable log completions copy-store serve help" -f -a "update" -d 'Change a credential\'s scopes, networks or expiry without reissuing its password'
complete -c appw -n "__fish_appw_using_subcommand help; and not __fish_seen_subcommand_from create list revoke revoke-all verify rotate show rename update disable enable log completions copy-store serve help" -f -a "disable" -d 'Pause a credential: it verifies nowhere until enabled, and keeps its hash and history'
complete -c appw -n "__fish_appw_using_subcommand help; and not __fish_seen_subcommand_from create list revoke revoke-all verify rotate show rename update disable enable log completions copy-store serve help" -f -a "enable" -d 'Bring a paused credential back as it was'
complete -c appw -n "__fish_appw_using_subcommand help; and not __fish_seen_subcommand_from create list revoke revoke-all verify rotate show rename update disable enable log completions copy-store serve help" -f -a "log" -d 'Print the audit log, oldest first'
complete -c appw -n "__fish_appw_using_subcommand help; and not __fish_seen_subcommand_from create list revoke revoke-all verify rotate show rename update disable enable log completions copy-store serve help" -f -a "completions" -d 'Print the completion script for a shell'
complete -c appw -n "__fish_appw_using_subcommand help; and not __fish_seen_subcommand_from create list revoke revoke-all verify rotate show rename update disable enable log completions copy-store serve help" -f -a "copy-store" -d 'Copy every credential, hash and audit event into an empty store (SQLite or PostgreSQL)'
complete -c appw -n "__fish_appw_using_subcommand help; and not __fish_seen_subcommand_from create list revoke revoke-all verify rotate show rename update disable enable log completions copy-store serve help" -f -a "serve" -d 'Check application passwords for web servers over HTTP (nginx auth_request, Caddy forward_auth, Traefik forwardAuth)'
complete -c appw -n "__fish_appw_using_subcommand help; and not __fish_seen_subcommand_from create list revoke revoke-all verify rotate show rename update disable enable log completions copy-store serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
