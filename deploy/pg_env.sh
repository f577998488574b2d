# Sourced by backup.sh and restore.sh: the libpq variables (PGHOST, PGPORT, PGUSER,
# PGPASSWORD, PGDATABASE, PGSSLMODE) from DATABASE_URL, so that the password is never on a
# command line where `ps` would show it.
: "${DATABASE_URL:?DATABASE_URL is not set (it is in /etc/kniga03/kniga03.env)}"

pg_vars="$("${PYTHON:-python3}" - <<'PY'
import os
import shlex
from urllib.parse import parse_qs, unquote, urlsplit

url = urlsplit(os.environ["DATABASE_URL"])
if url.scheme not in ("postgres", "postgresql", "pgsql"):
    raise SystemExit(f"DATABASE_URL is not a PostgreSQL URL ({url.scheme}://...)")
values = {
    "PGHOST": unquote(url.hostname or ""),
    "PGPORT": str(url.port or ""),
    "PGUSER": unquote(url.username or ""),
    "PGPASSWORD": unquote(url.password or ""),
    "PGDATABASE": unquote(url.path.lstrip("/")),
    "PGSSLMODE": parse_qs(url.query).get("sslmode", [""])[-1],
}
for name, value in values.items():
    if value:
        print(f"export {name}={shlex.quote(value)}")
PY
)"
eval "$pg_vars"
unset pg_vars

# The main tables, whose row counts say whether a restore is complete.
MAIN_TABLES="accounts_user branches_branch readers_reader readers_familycard
readers_readerphone readers_cardchange catalog_title catalog_item circulation_loan orders_order
orders_orderline volunteers_volunteer routing_dayplan routing_route routing_stop
notifications_message notifications_messagetemplate django_migrations"

# "table count" lines for the database PGDATABASE names.
table_counts() {
    local sql="" table
    for table in $MAIN_TABLES; do
        sql="${sql:+$sql UNION ALL }SELECT '$table', count(*) FROM $table"
    done
    psql -X --no-psqlrc -A -t -q -F ' ' -v ON_ERROR_STOP=1 -c "$sql"
}
