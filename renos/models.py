"""Models of the renos schema; every table is `db_table = 'renos"."<table>'`."""
