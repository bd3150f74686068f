-- schema: the store's own tables and the macros the metric queries share.
-- Case tables (localities … indicators) are created by ingest from the data contract models;
-- this script adds what does not come from an input file. No parameters.

create table if not exists ingest_log (
    ingest_id varchar primary key,
    ingested_at timestamp,
    source varchar,
    fingerprint varchar,
    contract_version varchar,
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

-- A need's bit in an assessment's need_bits: bit n-1 for the need with sort_order n (the
-- contract has at most 32 needs). A mask of bits answers "lists any / both of these needs"
-- with one integer AND, where the need list would need a search.
create or replace macro need_bit(sort_order) as ((1 << (sort_order - 1))::uinteger);

-- The whole calendar months inside a period: the first day of the first whole month on or
-- after start_day, and the last day of the last whole month on or before end_day (the first
-- is later than the last when the period holds no whole month). Queries with monthly counts
-- read those months from them and the days outside them from rows.
create or replace macro whole_months_from(start_day) as (
    case
        when day(start_day) = 1 then start_day
        else (date_trunc('month', start_day) + interval 1 month)::date
    end
);

create or replace macro whole_months_to(end_day) as (
    case
        when end_day = last_day(end_day) then end_day
        else (date_trunc('month', end_day) - interval 1 day)::date
    end
);

-- need_prevalence reads area_need_totals (running totals by month and small area) when the
-- period is whole months and the breakdown and filters are places a small area lies in (its
-- locality, catchment or itself), with an area or catchment among them: a hub or service
-- filter, or a child's attribute, is not in those totals.
create or replace macro area_totals_apply(
    breakdown, area_number, catchment_number, hub, service, start_day, end_day
) as (
    breakdown in ('none', 'locality', 'catchment', 'area')
    and (
        breakdown in ('catchment', 'area') or area_number is not null
        or catchment_number is not null
    )
    and hub is null and service is null
    and start_day = whole_months_from(start_day) and end_day = whole_months_to(end_day)
);

-- The financial year and the quarter a day falls in (first and last days): the periods
-- family_need_periods and area_closure_medians are built for.
create or replace macro year_and_quarter_of(day) as (
    list_transform(
        [
            (make_date(year(day - interval 3 month)::integer, 4, 1), 12),
            (date_trunc('quarter', day)::date, 3)
        ],
        lambda period: {
            'period_start': period[1],
            'period_end': (period[1] + to_months(period[2]) - interval 1 day)::date
        }
    )
);

-- A period that is a financial year or a quarter (year_and_quarter_of its first day): the
-- periods some tables hold results for, built at ingest (family_need_periods,
-- area_closure_medians).
create or replace macro year_or_quarter(start_day, end_day) as (
    list_contains(
        year_and_quarter_of(start_day),
        { 'period_start': start_day::date, 'period_end': end_day::date }
    )
);

-- A table built per period (family_need_periods, area_closure_medians) answers a financial
-- year or quarter without a lead-hub or service filter: neither is in it.
create or replace macro period_tables_apply(hub, service, start_day, end_day) as (
    hub is null and service is null and year_or_quarter(start_day, end_day)
);

-- The first day of a 'YYYY-MM' birth month (validated at ingest), computed once per row.
create or replace macro birth_start(birth_month) as ((birth_month || '-01')::date);

-- The age bands in their reporting order, youngest first.
create or replace macro age_bands() as (
    ['unborn', 'under_1', '1_4', '5_9', '10_15', '16_plus']
);

-- Age band at an event (DfE Children in Need bands) from birth_start(birth_month): whole
-- years from the first day of the birth month; a birth month starting after the event means
-- the child was unborn. A child is n whole years old on on_date when birth_start is on or
-- before on_date minus n years (exact, birth_start being a 1st; 29 February minus a year is
-- 28 February), so the band comes from comparing dates: several times faster than counting
-- the years, at ingest and in open_episodes. The band's position in age_bands().
create or replace macro age_band_position(birth_start, on_date) as (
    case
        when birth_start > on_date then 1
        when birth_start > (on_date - interval 1 year)::date then 2
        when birth_start > (on_date - interval 5 year)::date then 3
        when birth_start > (on_date - interval 10 year)::date then 4
        when birth_start > (on_date - interval 16 year)::date then 5
        else 6
    end
);

create or replace macro age_band(birth_start, on_date) as (
    age_bands()[age_band_position(birth_start, on_date)]
);

-- The key a metric groups its rows on for a breakdown (docs/metrics.md, "Breakdowns"): a
-- number, null for the whole authority or when the row has no group. Localities, hubs,
-- catchment hubs and areas are numbered in place_numbers (derive_child_places); the child's
-- sex and ethnic group by their ENUM code; SEND 1 or 0; the age band by its position; the
-- decile is itself. Grouping on a number, not on text, is what keeps a breakdown by tens of
-- thousands of areas fast; report_label turns the key into the group's name once per group.
-- A breakdown a row cannot have (survey responses by sex, say) is passed as null.
create or replace macro report_key(
    breakdown, locality_number, hub_number, catchment_number, area_number,
    sex, ethnic_group, send, age_band, imd_decile
) as (
    case breakdown
        when 'locality' then locality_number
        when 'hub' then hub_number
        when 'catchment' then catchment_number
        when 'area' then area_number
        when 'sex' then enum_code(sex::children_sex)
        when 'ethnic_group' then enum_code(ethnic_group::children_ethnic_group)
        when 'send' then send::integer
        when 'age_band' then list_position(age_bands(), age_band)
        when 'imd_decile' then imd_decile
    end
);

-- A grouped key's report group: 'all' for the whole authority, else the group's id or code
-- as text, and 'unknown' when the key is missing (never dropped).
create or replace macro report_label(breakdown, key) as (
    case
        when breakdown = 'none' then 'all'
        when key is null then 'unknown'
        when breakdown in ('locality', 'hub', 'catchment', 'area') then (
            select place_numbers.code from place_numbers
            where
                -- breakdown and key are the macro's arguments, not columns
                place_numbers.dimension = if(
                    breakdown = 'catchment', 'hub', breakdown  -- noqa: RF03
                )
                and place_numbers.number = key  -- noqa: RF03
        )
        when breakdown = 'sex' then enum_range(null::children_sex)[key + 1]::varchar
        when breakdown = 'ethnic_group'
            then enum_range(null::children_ethnic_group)[key + 1]::varchar
        when breakdown = 'send' then if(key = 1, 'true', 'false')
        when breakdown = 'age_band' then age_bands()[key]
        else key::varchar
    end
);

-- The order groups are listed in: age bands youngest first, deciles 1 to 10, other groups by
-- their code (callers put 'unknown' last).
create or replace macro report_order(breakdown, report_group) as (
    case breakdown
        when 'age_band' then lpad(list_position(age_bands(), report_group)::varchar, 2, '0')
        when 'imd_decile' then lpad(report_group, 2, '0')
        else report_group
    end
);

-- A dashboard filter: true when no value is wanted or the value is the one wanted.
create or replace macro in_filter(value, wanted) as (wanted is null or value = wanted);

-- Every group a breakdown reports, present in the data or not: 'all'; each locality, hub,
-- catchment hub or area within the place filters (below); every code of the child's sex and
-- ethnic group (from their ENUM types, made from the data contract); SEND true and false; the
-- age bands; deciles 1 to 10.
-- The place groups follow the locality, hub, small-area and catchment filters (area_number and
-- catchment_number as the queries bind them: place_numbers' numbers, 0 for a code the store
-- lacks): the small areas in the filters, the catchment hubs of those areas, the localities
-- they lie in, and the hubs of those localities (as with a locality filter: families reach
-- other hubs than their catchment's). A filter matching no area lists no place groups.
create or replace macro report_groups(
    breakdown, locality, hub, area_number, catchment_number
) as table
with

-- The codes of the area and catchment filters: null when unset, and when no place has the
-- number (an unknown code), which then matches no area below.
place_filter as (
    select
        (
            select code from place_numbers
            where dimension = 'area' and number = area_number
        ) as area_code,
        (
            select code from place_numbers
            where dimension = 'hub' and number = catchment_number
        ) as catchment_hub_id
),

-- The small areas within the locality, area and catchment filters.
filtered_areas as (
    select
        areas.area_code,
        areas.locality_id,
        areas.hub_id
    from areas
    cross join place_filter
    -- locality, area_number and catchment_number are the macro's arguments, not columns
    where
        in_filter(areas.locality_id, locality)  -- noqa: RF02
        and (area_number is null or areas.area_code = place_filter.area_code)  -- noqa: RF02
        and (
            catchment_number is null  -- noqa: RF02
            or areas.hub_id = place_filter.catchment_hub_id
        )
),

-- Without an area or catchment filter, every locality (within the locality filter) is in
-- scope, small areas or none (a version 1 extract has none); with one, those of its areas.
localities_in_scope as (
    select locality_id from localities
    where
        in_filter(locality_id, locality)
        and area_number is null
        and catchment_number is null
    union all
    select distinct locality_id from filtered_areas
    where area_number is not null or catchment_number is not null
)

select 'all' as report_group
where breakdown = 'none'
union all
select locality_id from localities_in_scope
where breakdown = 'locality'
union all
select hub_id from hubs
where
    breakdown = 'hub'
    and in_filter(hub_id, hub)
    -- today's rule: the hubs of the locality filter, here also the locality an area or
    -- catchment filter lies in (all hubs, citywide teams included, with neither)
    and (
        locality is null and area_number is null and catchment_number is null
        or locality_id in (select localities_in_scope.locality_id from localities_in_scope)
    )
union all
select distinct hub_id from filtered_areas
where breakdown = 'catchment' and hub_id is not null
union all
select area_code from filtered_areas
where breakdown = 'area'
union all
select unnest(enum_range(null::children_sex))::varchar
where breakdown = 'sex'
union all
select unnest(enum_range(null::children_ethnic_group))::varchar
where breakdown = 'ethnic_group'
union all
select unnest(['true', 'false'])
where breakdown = 'send'
union all
select unnest(age_bands())
where breakdown = 'age_band'
union all
select range::varchar from range(1, 11)
where breakdown = 'imd_decile';


-- The key an assessment (or one of its need rows) is grouped on for a needs analysis
-- dimension: that dimension's own column (null when missing; null for 'all'), grouped as
-- stored (see report_key); assessment_label makes the category after grouping.
create or replace macro assessment_key(
    dimension, locality_id, age_band, imd_decile, thrive_group
) as (
    case dimension
        when 'locality' then locality_id
        when 'age_band' then age_band
        when 'imd_decile' then imd_decile::varchar
        when 'thrive_group' then thrive_group
    end
);

create or replace macro assessment_label(dimension, key) as (
    case
        when dimension in ('locality', 'imd_decile') then coalesce(key, 'unknown')
        when dimension in ('age_band', 'thrive_group') then key
        else 'all'
    end
);

-- The category an assessment (or one of its need rows) reports under on the needs analysis
-- page: one dimension of the child or family, 'unknown' when missing.
create or replace macro assessment_category(
    dimension, locality_id, age_band, imd_decile, thrive_group
) as (
    assessment_label(
        dimension, assessment_key(dimension, locality_id, age_band, imd_decile, thrive_group)
    )
);
