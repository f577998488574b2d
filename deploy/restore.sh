#!/usr/bin/env bash
# Restore a dump made by backup.sh into the database DATABASE_URL names. That database must
# exist and be empty (a new one: createdb -O kniga03 kniga03_restore); a database with
# tables is refused. All or nothing: one transaction, stopping at the first error.
# Afterwards prints "table rows" for the main tables; `restore.sh --counts` prints the same
# for DATABASE_URL without restoring anything, to compare with the live database.
#
#   DATABASE_URL=postgres://kniga03:...@10.0.0.10:5432/kniga03_restore \
#       deploy/restore.sh /var/backups/kniga03/kniga03-20261125T213000Z.dump
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
usage="usage: restore.sh DUMP_FILE | restore.sh --counts  (DATABASE_URL names the database)"
dump="${1:?$usage}"
. "$here/pg_env.sh"

if [ "$dump" = "--counts" ]; then
    table_counts
    exit 0
fi
if [ ! -r "$dump" ]; then
    echo "restore.sh: cannot read $dump" >&2
    exit 2
fi
tables="$(psql -X --no-psqlrc -A -t -q -v ON_ERROR_STOP=1 \
    -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
if [ "$tables" != "0" ]; then
    echo "restore.sh: refusing: database ${PGDATABASE:-?} already has $tables tables;" \
         "restore into a new, empty database" >&2
    exit 3
fi

pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
    --dbname="${PGDATABASE:?DATABASE_URL names no database}" "$dump"
table_counts
