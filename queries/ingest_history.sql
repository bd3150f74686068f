-- ingest_history: every ingest into this store, newest first.
-- grain: one row per ingest
-- columns: ingest_id, ingested_at, source, fingerprint, contract_version, row_counts,
--          warnings, date_from, date_to
-- parameters: none
select *
from ingest_log
order by ingested_at desc, ingest_id desc
