"""Indexes that let a name search stop early (core.search.ranked_search): the text and the
key of a reader card in the "C" collation, so that "starts with" is a range of the index,
read in its own order and cut at the matches the desk wants.

PostgreSQL only: "Васил" matches 52,000 of 500,000 cards; with these indexes the search
reads the first 200 of the Васильевы, not all 52,000. SQLite (development) reads the small
table whole.
"""
from django.db import migrations

INDEXES = (
    ("readers_reader_search_text_c", "readers_reader", "search_text"),
    ("readers_reader_search_key_c", "readers_reader", "search_key"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}" COLLATE "C")')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):

    dependencies = [("readers", "0013_phone_and_card_number_endings")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
