
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'appw' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'appw'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'appw' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a postgres:// URL for a shared server')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Issue a new application password for a user and print it once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List active credentials')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke credentials by id (or unambiguous prefix of 8+ characters) or by user and name')
            [CompletionResult]::new('revoke-all', 'revoke-all', [CompletionResultType]::ParameterValue, 'Revoke every active credential, or every one of a user')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a password; exit 0 if valid, 1 if rejected')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace a credential''s password in one step; the old one stops working at once')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one credential''s metadata')
            [CompletionResult]::new('rename', 'rename', [CompletionResultType]::ParameterValue, 'Rename a credential')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Change a credential''s scopes, networks or expiry without reissuing its password')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Pause a credential: it verifies nowhere until enabled, and keeps its hash and history')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Bring a paused credential back as it was')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Print the audit log, oldest first')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell')
            [CompletionResult]::new('copy-store', 'copy-store', [CompletionResultType]::ParameterValue, 'Copy every credential, hash and audit event into an empty store (SQLite or PostgreSQL)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Check application passwords for web servers over HTTP (nginx auth_request, Caddy forward_auth, Traefik forwardAuth)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'appw;create' {
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The user who owns the credential')
            [CompletionResult]::new('--app-id', '--app-id', [CompletionResultType]::ParameterName, 'An identifier of the application using it (free text, e.g. a UUID)')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'Expire after a duration (90d, 12h, 30m) or at an RFC 3339 time')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'What it may be used for (repeatable); checks that ask for a scope it lacks refuse it')
            [CompletionResult]::new('--allow-from', '--allow-from', [CompletionResultType]::ParameterName, 'Only from this network or address, IPv4 or IPv6 (repeatable)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a postgres:// URL for a shared server')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object, the password included')
            [CompletionResult]::new('--porcelain', '--porcelain', [CompletionResultType]::ParameterName, 'Print the password alone on one line, for scripts')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'appw;list' {
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Only this user''s credentials')
            [CompletionResult]::new('--expiring', '--expiring', [CompletionResultType]::ParameterName, 'Only credentials that expire within this duration (e.g. 7d)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a postgres:// URL for a shared server')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES')
            [CompletionResult]::new('--expired', '--expired', [CompletionResultType]::ParameterName, 'Only credentials that have expired')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'appw;revoke' {
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Revoke by user and name instead of by id')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The credential''s name (with --user)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a postgres:// URL for a shared server')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array of the revoked credentials')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'appw;revoke-all' {
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Only this user''s credentials')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a postgres:// URL for a shared server')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON object with the count')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'appw;verify' {
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The user the password claims to belong to')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the password from this environment variable')
            [CompletionResult]::new('--source', '--source', [CompletionResultType]::ParameterName, 'Where the attempt came from (an IP, a job name), recorded with the use')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Accept only a credential that has this scope')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a postgres:// URL for a shared server')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES')
            [CompletionResult]::new('--basic', '--basic', [CompletionResultType]::ParameterName, 'Read an HTTP Authorization value (Basic base64(user:password)) from standard input')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON object on success')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'appw;rotate' {
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Rotate by user and name instead of by id')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The credential''s name (with --user)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a postgres:// URL for a shared server')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object, the password included')
            [CompletionResult]::new('--porcelain', '--porcelain', [CompletionResultType]::ParameterName, 'Print the password alone on one line, for scripts')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'appw;show' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a postgres:// URL for a shared server')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'appw;rename' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a postgres:// URL for a shared server')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the renamed credential as one JSON object')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'appw;update' {
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Its scopes become these (repeatable)')
            [CompletionResult]::new('--allow-from', '--allow-from', [CompletionResultType]::ParameterName, 'Its networks become these (repeatable)')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'It expires after a duration (90d) or at an RFC 3339 time')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a postgres:// URL for a shared server')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES')
            [CompletionResult]::new('--no-scopes', '--no-scopes', [CompletionResultType]::ParameterName, 'It has no scopes any more (only checks that ask for none accept it)')
            [CompletionResult]::new('--anywhere', '--anywhere', [CompletionResultType]::ParameterName, 'It may be used from anywhere')
            [CompletionResult]::new('--no-expiry', '--no-expiry', [CompletionResultType]::ParameterName, 'It never expires')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the updated credential as a JSON object')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'appw;disable' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a postgres:// URL for a shared server')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the credential as one JSON object')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'appw;enable' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a postgres:// URL for a shared server')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the credential as one JSON object')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'appw;log' {
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Only events about this user')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only events since a duration ago (24h) or an RFC 3339 time')
            [CompletionResult]::new('--prune', '--prune', [CompletionResultType]::ParameterName, 'Delete events older than a duration (180d) or an RFC 3339 time, and print how many')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a postgres:// URL for a shared server')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'appw;completions' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a postgres:// URL for a shared server')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'appw;copy-store' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The destination store: a SQLite file path or a postgres:// URL; it must be empty')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a postgres:// URL for a shared server')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'appw;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on: HOST:PORT ([IPv6]:PORT) or unix:PATH (repeatable)')
            [CompletionResult]::new('--trusted-proxy', '--trusted-proxy', [CompletionResultType]::ParameterName, 'Who may say the client''s address (X-Real-IP / X-Forwarded-For): a proxy''s network or address, or on Unix sockets user:NAME, uid:N, group:NAME, gid:N (repeatable; default nobody)')
            [CompletionResult]::new('--realm', '--realm', [CompletionResultType]::ParameterName, 'The realm named in the 401 challenge')
            [CompletionResult]::new('--workers', '--workers', [CompletionResultType]::ParameterName, 'argon2 workers (default: one per core)')
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'Verifications that may wait for a worker before new ones get 503')
            [CompletionResult]::new('--max-failures', '--max-failures', [CompletionResultType]::ParameterName, 'Failed attempts from one client within a minute before it gets 429')
            [CompletionResult]::new('--admin-listen', '--admin-listen', [CompletionResultType]::ParameterName, 'Also serve the management API and the Application Passwords screen on this address, HOST:PORT or unix:PATH (repeatable); never on --listen''s sockets')
            [CompletionResult]::new('--authorize-origin', '--authorize-origin', [CompletionResultType]::ParameterName, 'An origin (https://app.example, or http on loopback) that apps asking for a password at /authorize may have it sent to (repeatable)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a SQLite file, or a postgres:// URL for a shared server')
            [CompletionResult]::new('--kdf', '--kdf', [CompletionResultType]::ParameterName, 'argon2id parameters for new hashes, as m=KIB,t=ITERATIONS,p=LANES')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'appw;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Issue a new application password for a user and print it once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List active credentials')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke credentials by id (or unambiguous prefix of 8+ characters) or by user and name')
            [CompletionResult]::new('revoke-all', 'revoke-all', [CompletionResultType]::ParameterValue, 'Revoke every active credential, or every one of a user')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a password; exit 0 if valid, 1 if rejected')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace a credential''s password in one step; the old one stops working at once')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one credential''s metadata')
            [CompletionResult]::new('rename', 'rename', [CompletionResultType]::ParameterValue, 'Rename a credential')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Change a credential''s scopes, networks or expiry without reissuing its password')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Pause a credential: it verifies nowhere until enabled, and keeps its hash and history')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Bring a paused credential back as it was')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Print the audit log, oldest first')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell')
            [CompletionResult]::new('copy-store', 'copy-store', [CompletionResultType]::ParameterValue, 'Copy every credential, hash and audit event into an empty store (SQLite or PostgreSQL)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Check application passwords for web servers over HTTP (nginx auth_request, Caddy forward_auth, Traefik forwardAuth)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'appw;help;create' {
            break
        }
        'appw;help;list' {
            break
        }
        'appw;help;revoke' {
            break
        }
        'appw;help;revoke-all' {
            break
        }
        'appw;help;verify' {
            break
        }
        'appw;help;rotate' {
            break
        }
        'appw;help;show' {
            break
        }
        'appw;help;rename' {
            break
        }
        'appw;help;update' {
            break
        }
        'appw;help;disable' {
            break
        }
        'appw;help;enable' {
            break
        }
        'appw;help;log' {
            break
        }
        'appw;help;completions' {
            break
        }
        'appw;help;copy-store' {
            break
        }
        'appw;help;serve' {
            break
        }
        'appw;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
