-- families_with_requests: distinct families with at least one request received in the period.
-- A family reports under its own locality, small area, catchment and IMD decile (its own, else
-- its area's), as its children's requests carry them.
-- grain: one row per report group ('all', or each group of the breakdown, plus 'unknown'
--        when present)
-- columns: metric, group, numerator (families), denominator (null), value (families)
-- parameters: $start, $end (dates, both inclusive), $by ('none' | 'locality' | 'catchment' |
--             'area' | 'imd_decile'); filters
--             $locality, $area_number, $catchment_number, $hub (the receiving hub; null = all)
with

-- Without a hub filter, a family's first request in the period is the one whose family
-- previous request (derive_request_facts) is before the period: one row per family, counted
-- without a distinct.
-- The locality, small-area and catchment filters keep or drop a family whole (they are the
-- family's own, families.csv), so the rule holds within them; a hub or service filter does not.
first_requests as (
    select
        report_key(
            $by, locality_number, null, catchment_number, area_number,
            null, null, null, null, imd_decile
        ) as report_key
    from request_facts
    where received_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and $hub is null
        and family_previous_request_date < $start
),

-- With a hub filter: the families with a request received by that hub.
hub_families as (
    select distinct
        family_id,
        report_key(
            $by, locality_number, null, catchment_number, area_number,
            null, null, null, null, imd_decile
        ) as report_key
    from request_facts
    where received_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and hub_id = $hub
),

-- Counted in each branch before the union: a union hides the keys' range from the
-- planner, which then cannot group thousands of areas in a perfect hash table.
in_period as (
    select
        report_key,
        count(*) as n
    from first_requests
    group by report_key
    union all
    select
        report_key,
        count(*) as n
    from hub_families
    group by report_key
),

counts as (
    select
        report_label($by, report_key) as report_group,
        sum(n)::bigint as n
    from in_period
    group by report_key
),

final as (
    select
        'families_with_requests' as metric,
        coalesce(report_groups.report_group, counts.report_group) as "group",
        coalesce(counts.n, 0) as numerator,
        null::bigint as denominator,
        coalesce(counts.n, 0)::double as value
    from report_groups($by, $locality, $hub, $area_number, $catchment_number) as report_groups
    full outer join counts on report_groups.report_group = counts.report_group
)

select * from final
order by "group" = 'unknown', report_order($by, "group")
