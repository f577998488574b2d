"""Indexes for a phone or a card number found by its last digits (readers.selectors
phone_query and card_number_ending_q): the reversed text, so that an ending is a prefix.

PostgreSQL only: text_pattern_ops lets LIKE 'prefix%' use the index whatever the database's
collation. SQLite (development) reads the small tables whole.
"""
from django.db import migrations

INDEXES = (
    ("readers_readerphone_number_ending", "readers_readerphone", "number"),
    ("readers_reader_card_number_ending", "readers_reader", "card_number"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" (reverse("{column}") text_pattern_ops)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):

    dependencies = [("readers", "0012_reader_search_key")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
