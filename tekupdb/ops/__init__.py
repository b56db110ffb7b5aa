"""Operations on the database as a whole: direct connections, PostgreSQL programs, backup, restore, roles.

The management commands (health, backup, restore, db_roles) are thin wrappers over these modules.
"""
