"""Models of the crm schema; every table is `db_table = 'crm"."<table>'`."""
