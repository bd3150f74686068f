-- schema: the store's own tables and the macros the metric queries share.
-- Case tables (localities … indicators) are created by ingest from the data contract models;
-- this script adds what does not come from an input file. No parameters.

create table if not exists ingest_log (
    ingest_id varchar primary key,
    ingested_at timestamp,
    source varchar,
    fingerprint varchar,
    contract_version integer,
    row_counts varchar,
    warnings varchar,
    date_from date,
    date_to date
);

-- One row per need code, in contract order, with its Supporting Families headline group.
create table need_codes (
    need varchar primary key,
    need_group varchar,
    sort_order integer
);

-- Age band at an event (DfE Children in Need bands). Whole years from the first day of the
-- birth month; a birth month starting after the event means the child was unborn.
create or replace macro age_band(birth_month, on_date) as (
    case
        when strptime(birth_month || '-01', '%Y-%m-%d')::date > on_date then 'unborn'
        when date_sub('year', strptime(birth_month || '-01', '%Y-%m-%d')::date, on_date) < 1
            then 'under_1'
        when date_sub('year', strptime(birth_month || '-01', '%Y-%m-%d')::date, on_date) < 5
            then '1_4'
        when date_sub('year', strptime(birth_month || '-01', '%Y-%m-%d')::date, on_date) < 10
            then '5_9'
        when date_sub('year', strptime(birth_month || '-01', '%Y-%m-%d')::date, on_date) < 16
            then '10_15'
        else '16_plus'
    end
);

-- The group a row reports under for a breakdown: 'all', its locality or its hub, and
-- 'unknown' when that is missing (never dropped).
create or replace macro report_group(breakdown, locality_id, hub_id) as (
    case breakdown
        when 'locality' then coalesce(locality_id, 'unknown')
        when 'hub' then coalesce(hub_id, 'unknown')
        else 'all'
    end
);

-- A dashboard filter: true when no value is wanted or the value is the one wanted.
create or replace macro in_filter(value, wanted) as (wanted is null or value = wanted);

-- Every group a breakdown reports, present in the data or not: 'all', each locality or each
-- hub (within the locality and hub filters, when set).
create or replace macro report_groups(breakdown, locality, hub) as table
    select 'all' as report_group where breakdown = 'none'
    union all
    select locality_id from localities
    where breakdown = 'locality' and in_filter(locality_id, locality)
    union all
    select hub_id from hubs
    where
        breakdown = 'hub'
        and in_filter(hub_id, hub)
        and (locality is null or locality_id = locality);

