from django.db import migrations

# The confirmation of an order now says which titles wait for a copy ("we will bring it when
# a copy is free") in `{waiting}`, empty when none waits. Put in the texts librarians have:
# before the closing request in the texts as shipped, at the end of an edited one.
BEFORE = ("Ответьте 1", "Растау үшін 1", "Чтобы перенести визит")


def add_waiting(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for template in MessageTemplate.objects.filter(code="order_confirmed"):
        if "{waiting}" in template.text:
            continue
        for marker in BEFORE:
            if marker in template.text:
                template.text = template.text.replace(marker, "{waiting} " + marker, 1)
                break
        else:
            template.text = template.text.rstrip() + " {waiting}"
        template.save(update_fields=["text"])


def remove_waiting(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for template in MessageTemplate.objects.filter(code="order_confirmed"):
        template.text = template.text.replace("{waiting} ", "").replace(" {waiting}", "")
        template.save(update_fields=["text"])


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0007_inbox_new_card"),
    ]

    operations = [
        migrations.RunPython(add_waiting, remove_waiting),
    ]
