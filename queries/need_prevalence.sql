-- need_prevalence: for each need code, of the assessments completed in the period, the share
-- listing that need. An assessment takes its episode's lead hub and the child's locality,
-- small area, catchment, sex, ethnic group, SEND, age band at completion and IMD decile.
-- grain: one row per need code and report group; metric is 'need_prevalence:<need code>',
--        needs in data-contract order
-- columns: metric, group, numerator (assessments listing the need), denominator (assessments),
--          value (share from 0 to 1; null when no assessment was completed)
-- parameters: $start, $end (dates, both inclusive), $by (a breakdown: docs/metrics.md);
--             filters $locality, $area_number, $catchment_number, $hub, $service (null = all)
with

in_period as (
    select
        report_key(
            $by, locality_number, hub_number, catchment_number, area_number,
            sex, ethnic_group, send, age_band, imd_decile
        ) as report_key,
        need_bits
    from assessment_facts
    where completed_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
),

denominators as (
    select
        report_key,
        count(*) as n
    from in_period
    group by report_key
),

-- By none, locality or hub: the period's whole months from need_months; by the child's sex,
-- ethnic group, SEND, age band or decile with no filter, from need_months_by_child. The other
-- days (all of them when the period holds no whole month, and every day for a child
-- attribute within a filter) from assessment_needs, which repeats each assessment's date,
-- places, service and child on its need rows. None of these carries the family's small area
-- or catchment: within an area or catchment filter, as by them, need_counts reads in_period.
need_rows as (
    select
        locality_id,
        hub_id,
        service,
        need_order,
        assessments,
        report_key(
            $by, locality_number, hub_number, null, null, null, null, null, null, null
        ) as report_key
    from need_months
    where month between whole_months_from($start) and whole_months_to($end)
        and $by in ('none', 'locality', 'hub')
        and $area_number is null and $catchment_number is null
    union all
    select
        null as locality_id,
        null as hub_id,
        null as service,
        need_order,
        assessments,
        report_key(
            $by, null, null, null, null, sex, ethnic_group, send, age_band, imd_decile
        ) as report_key
    from need_months_by_child
    where month between whole_months_from($start) and whole_months_to($end)
        and $by in ('sex', 'ethnic_group', 'send', 'age_band', 'imd_decile')
        and $locality is null and $hub is null and $service is null
        and $area_number is null and $catchment_number is null
    union all
    select
        locality_id,
        hub_id,
        service,
        need_order,
        1 as assessments,
        report_key(
            $by, locality_number, hub_number, null, null,
            sex, ethnic_group, send, age_band, imd_decile
        ) as report_key
    from assessment_needs
    where completed_date between $start and $end
        and (
            completed_date < whole_months_from($start)
            or completed_date > whole_months_to($end)
            or not (
                $by in ('none', 'locality', 'hub')
                or $locality is null and $hub is null and $service is null
            )
        )
        and $by not in ('catchment', 'area')
        and $area_number is null and $catchment_number is null
),

need_counts as (
    select
        report_key,
        need_order,
        -- Summed as doubles (exact below 2^53): the integer sum's 128-bit state is slower.
        sum(assessments::double)::bigint as n
    from need_rows
    where in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
    group by report_key, need_order
    union all
    -- By catchment or area (thousands of groups), or within an area or catchment filter:
    -- each assessment's need_bits, tested need by need, groups fewer rows than the need rows
    -- would.
    select
        in_period.report_key,
        need_codes.sort_order as need_order,
        count(*) as n
    from in_period
    inner join need_codes on in_period.need_bits & need_bit(need_codes.sort_order) <> 0
    where $by in ('catchment', 'area')
        or $area_number is not null or $catchment_number is not null
    group by in_period.report_key, need_codes.sort_order
),

-- Each report group once, with its key and its place in the report's order: the rows below
-- join and sort on numbers, not on the groups' text.
labelled as (
    select
        -- -1 for the rows without a group ('unknown', or 'all' by none): a group without
        -- assessments is left with no key, which matches no need count
        coalesce(report_key, -1) as report_key,
        n,
        report_label($by, report_key) as report_group
    from denominators
),

groups as (
    select
        coalesce(report_groups.report_group, labelled.report_group) as report_group,
        labelled.report_key,
        coalesce(labelled.n, 0) as n,
        row_number() over (
            order by
                coalesce(report_groups.report_group, labelled.report_group) = 'unknown',
                report_order($by, coalesce(report_groups.report_group, labelled.report_group))
        ) as group_order
    from report_groups($by, $locality, $hub, $area_number, $catchment_number) as report_groups
    full outer join labelled on report_groups.report_group = labelled.report_group
),

needs as (
    select
        sort_order,
        'need_prevalence:' || need as metric
    from need_codes
),

final as (
    select
        needs.metric,
        groups.report_group as "group",
        coalesce(need_counts.n, 0) as numerator,
        groups.n as denominator,
        coalesce(need_counts.n, 0) / nullif(groups.n, 0) as value,
        needs.sort_order,
        groups.group_order
    from groups
    cross join needs
    left join need_counts
        on
            groups.report_key = coalesce(need_counts.report_key, -1)
            and needs.sort_order = need_counts.need_order
)

select
    metric,
    "group",
    numerator,
    denominator,
    value
from final
order by sort_order, group_order
