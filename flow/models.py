"""Models of the flow schema; every table is `db_table = 'flow"."<table>'`."""
