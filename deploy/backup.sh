#!/usr/bin/env bash
# Back up the Kniga 03 database: pg_dump in its custom format (-Fc) into BACKUP_DIR, checked
# readable with pg_restore --list, then dumps older than BACKUP_KEEP_DAYS days are removed.
# Prints the new file's path. kniga03-backup.service runs it every night; by hand:
#
#   sudo -u kniga03 sh -c 'set -a; . /etc/kniga03/kniga03.env; set +a; deploy/backup.sh'
#
# pg_dump must be of the server's major version or newer. Restore: deploy/restore.sh.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
. "$here/pg_env.sh"

backup_dir="${BACKUP_DIR:-/var/backups/kniga03}"
keep_days="${BACKUP_KEEP_DAYS:-14}"
mkdir -p "$backup_dir"
umask 077  # the dump holds readers' personal data

target="$backup_dir/kniga03-$(date -u +%Y%m%dT%H%M%SZ).dump"
partial="$target.partial"
trap 'rm -f "$partial"' EXIT

pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$partial"
pg_restore --list "$partial" >/dev/null  # a complete, readable archive
mv "$partial" "$target"

find "$backup_dir" -maxdepth 1 -name 'kniga03-*.dump' -mtime +"$keep_days" -delete
echo "$target"
