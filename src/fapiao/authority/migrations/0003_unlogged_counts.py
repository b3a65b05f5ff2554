from django.db import migrations

TABLES = ("authority_checkcount", "authority_misscount")


def unlogged(apps, schema_editor):
    """On PostgreSQL the 查验 counts skip the write-ahead log: a rate limit, not a record. A
    crash empties them (a few more checks that day), and their commits never wait for the disk."""
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET UNLOGGED")


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [
        ("authority", "0002_registryinvoice_device_number_clearingapplication_and_more"),
    ]

    operations = [migrations.RunPython(unlogged, logged)]
