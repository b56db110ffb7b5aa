"""The admin as staff's console: the admin site and its dashboard, server activity, schema diagrams and the
read-only SQL tool (each a view or page of the admin site)."""
