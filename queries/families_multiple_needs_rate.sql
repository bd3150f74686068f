-- families_multiple_needs_rate: of families with at least one assessment completed in the
-- period (within the filters), the share whose assessments in the period, all its children
-- together, list needs in 3 or more of the 10 Supporting Families headline groups.
-- grain: one row per report group ('all', or each group of the breakdown, plus 'unknown'
--        when present)
-- columns: metric, group, numerator (families with needs in 3+ groups), denominator (families
--          assessed), value (share from 0 to 1; null when no family was assessed)
-- parameters: $start, $end (dates, both inclusive), $by ('none' | 'locality' | 'catchment' |
--             'area' | 'imd_decile'); filters
--             $locality, $area_number, $catchment_number, $hub (lead hub), $service (null = all)
with

-- A financial year or quarter without a hub or service filter: one row per family, grouped
-- at ingest (family_need_periods).
-- The locality, small-area and catchment filters keep or drop a family whole (they are the
-- family's own, families.csv), so the rule holds within them; a hub or service filter does not.
stored as (
    select
        group_count,
        report_key(
            $by, locality_number, null, catchment_number, area_number,
            null, null, null, null, imd_decile
        ) as report_key
    from family_need_periods
    where period_tables_apply($hub, $service, $start, $end)
        and period_start = $start and period_end = $end
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
),

-- Any other period or filter: the family's assessments in the period grouped here.
grouped as (
    select
        -- the headline groups of every need any of the family's assessments in the period
        -- lists, as one bit set (derive_assessment_facts)
        bit_count(bit_or(need_group_bits)) as group_count,
        any_value(report_key(
            $by, locality_number, null, catchment_number, area_number,
            null, null, null, null, imd_decile
        )) as report_key
    from assessment_facts
    where completed_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
        and not period_tables_apply($hub, $service, $start, $end)
    group by family_id
),

-- Counted in each branch before the union: a union hides the keys' range from the
-- planner, which then cannot group thousands of areas in a perfect hash table.
families_assessed as (
    select
        report_key,
        count_if(group_count >= 3) as numerator,
        count(*) as denominator
    from stored
    group by report_key
    union all
    select
        report_key,
        count_if(group_count >= 3) as numerator,
        count(*) as denominator
    from grouped
    group by report_key
),

counts as (
    select
        report_label($by, report_key) as report_group,
        sum(numerator)::bigint as numerator,
        sum(denominator)::bigint as denominator
    from families_assessed
    group by report_key
),

final as (
    select
        'families_multiple_needs_rate' as metric,
        coalesce(report_groups.report_group, counts.report_group) as "group",
        coalesce(counts.numerator, 0) as numerator,
        coalesce(counts.denominator, 0) as denominator,
        counts.numerator / nullif(counts.denominator, 0) as value
    from report_groups($by, $locality, $hub, $area_number, $catchment_number) as report_groups
    full outer join counts on report_groups.report_group = counts.report_group
)

select * from final
order by "group" = 'unknown', report_order($by, "group")
