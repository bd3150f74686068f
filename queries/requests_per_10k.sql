-- requests_per_10k: requests received in the period per 10,000 resident children aged 0-19.
-- Population: each locality's mid-year estimate (ages 0-19 summed) for the calendar year in
-- which the period starts (over time: in which each quarter or month starts), or that
-- locality's latest earlier year if that year is missing; the authority's population is the
-- sum over localities. By hub (or with a hub filter) there is no rate.
-- grain: one row per report group ('all'; or each locality / hub, plus 'unknown' when present;
--        or each quarter / month, named by its first day as YYYY-MM-DD)
-- columns: metric, group, numerator (requests), denominator (population aged 0-19),
--          value (numerator ÷ denominator × 10,000; null with no population or by hub)
-- parameters: $start, $end (dates, both inclusive), $by ('none' | 'locality' | 'hub', or over time
--             'quarter' | 'month': see report_day);
--             filters $locality, $hub (null = all)
with

in_period as (
    select
        report_key($by, locality_id, hub_id) as report_key,
        report_day($by, received_date) as report_day
    from request_facts
    where received_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
),

counts as (
    select
        report_label($by, report_key, report_day) as report_group,
        count(*) as n
    from in_period
    group by report_key, report_day
),

-- Each group's localities and population year: the calendar year its days start in (a
-- quarter's or month's own first day over time; the period's start otherwise).
group_localities as (
    select
        report_groups.report_group,
        localities.locality_id,
        year(
            case
                when $by in ('quarter', 'month') then try_cast(report_groups.report_group as date)
                else $start::date
            end
        ) as year
    from report_groups($by, $locality, $hub, $start, $end) as report_groups
    inner join localities
        on $by <> 'locality' or localities.locality_id = report_groups.report_group
    -- no rate by hub or within one hub: a hub has no resident population
    where $by <> 'hub' and $hub is null and in_filter(localities.locality_id, $locality)
),

locality_year_population as (
    select
        locality_id,
        year,
        sum(population) as population
    from population
    group by locality_id, year
),

-- Each locality's estimate for the year, or for its latest earlier year when that is missing.
group_population as (
    select
        group_localities.report_group,
        sum(locality_year_population.population) as population
    from group_localities
    asof inner join locality_year_population
        on
            group_localities.locality_id = locality_year_population.locality_id
            and group_localities.year >= locality_year_population.year
    group by group_localities.report_group
),

final as (
    select
        'requests_per_10k' as metric,
        coalesce(report_groups.report_group, counts.report_group) as "group",
        coalesce(counts.n, 0) as numerator,
        group_population.population::bigint as denominator,
        coalesce(counts.n, 0) / nullif(group_population.population, 0) * 10000 as value
    from report_groups($by, $locality, $hub, $start, $end) as report_groups
    full outer join counts on report_groups.report_group = counts.report_group
    left join group_population
        on coalesce(report_groups.report_group, counts.report_group)
        = group_population.report_group
)

select * from final
order by "group" = 'unknown', "group"
