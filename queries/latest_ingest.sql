-- latest_ingest: the most recent ingest of this store.
-- grain: one row (none for a store never loaded)
-- columns: ingest_id, ingested_at, source, fingerprint, contract_version, row_counts, warnings,
--          date_from, date_to
-- parameters: none
select *
from ingest_log
order by ingested_at desc, ingest_id desc
limit 1
