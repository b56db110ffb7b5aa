"""Running this database: the operations commands (health, backup, restore, seed, roles, import, partitions,
start), what they are built on, and the admin console (`operations.console`: the admin site, dashboard,
server activity, schema diagrams and SQL tool). The commands are thin wrappers over these modules.

Not part of the package that sibling projects install: they use the schema apps and `tekupdb.db`.
"""
