# Sourced by .ci/setup-*.sh (not run on its own; the name keeps it out of .ci/run's glob).
#
# apt_install WHO PACKAGE...: installs the packages unattended (CI has no stdin), as root or
# through sudo, without starting any service they bring (nginx would take port 80, fail2ban
# and systemd would start daemons; the tests only need the tools): a policy-rc.d that
# answers 101 ("don't start services") is in place for the install and removed after it,
# unless one was there already. WHO names the caller in the message when there is no apt.
apt_install() {
    local who=$1
    shift
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "$who: no apt-get; install $* by hand" >&2
        return 1
    fi
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    echo "installing $*"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
    local policy=/usr/sbin/policy-rc.d added_policy= status=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 755 "$policy"
        added_policy=1
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=300 "$@" </dev/null >/dev/null || status=$?
    [ -z "$added_policy" ] || "${sudo[@]}" rm -f "$policy"
    return "$status"
}
