-- add_commentary: store one commentary entry on a KPI for a period.
-- grain: inserts one commentary entry (the store's own table, kept across ingests).
-- columns: none
-- parameters: $kpi, $period, $comment, $author, $written_at
insert into scorecard_commentary (kpi, period, comment, author, written_at)
values ($kpi, $period, $comment, $author, $written_at)
