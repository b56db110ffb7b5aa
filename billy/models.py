"""Models of the billy schema; every table is `db_table = 'billy"."<table>'`."""
