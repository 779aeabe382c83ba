"""Every street becomes a place (kind street), every community gets its own node under it, and a
supervisor's membership names the street's node."""

from django.db import migrations


def forward(apps, schema_editor):
    Street = apps.get_model("projects", "Street")
    Place = apps.get_model("projects", "Place")
    Community = apps.get_model("projects", "Community")
    Membership = apps.get_model("projects", "Membership")

    def make(kind, name, parent):
        node = Place.objects.create(kind=kind, name=name, parent=parent, path="")
        node.path = f"{parent.path if parent else '/'}{node.pk}/"
        node.save(update_fields=["path"])
        return node

    nodes = {}
    for street in Street.objects.order_by("pk"):
        nodes[street.pk] = make("street", street.name, None)
    for community in Community.objects.order_by("pk"):
        community.place = make("community", community.name, nodes[community.street_id])
        community.save(update_fields=["place"])
    for m in Membership.objects.filter(street__isnull=False):
        m.place = nodes[m.street_id]
        m.save(update_fields=["place"])


class Migration(migrations.Migration):
    dependencies = [("projects", "0011_places_tree")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
