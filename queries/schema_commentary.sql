-- schema_commentary: the board's commentary table, created by ingest and before the first
-- entry is written to a store built before commentary existed. No parameters.
-- Board commentary on a KPI for a period, with who wrote it and when. Kept across ingests;
-- every edit is a new row, and the newest row per KPI and period is the one shown.
create table if not exists scorecard_commentary (
    kpi varchar not null,
    period varchar not null,
    comment varchar not null,
    author varchar not null,
    written_at timestamp not null
);
