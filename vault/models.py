"""Models of the vault schema; every table is `db_table = 'vault"."<table>'`."""
