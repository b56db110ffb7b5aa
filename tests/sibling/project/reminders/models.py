from django.db import models


class Reminder(models.Model):
    """The sibling's own table: a note about a Billy organization, kept by id (no foreign key into the
    shared schemas, whose rows this service does not own)."""

    billy_organization_id = models.CharField(max_length=255)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.text
