-- request_rows: how many requests the extract holds (from the table's metadata, so instant):
-- the size that decides whether a metric reads many periods in one query (metrics.py).
-- grain: one row
-- columns: requests
-- parameters: none
select count(*) as requests
from request_facts
