-- need_group_prevalence: the share of assessments completed in the period listing at least
-- one need in each of the ten Supporting Families headline outcome groups.
-- grain: one row per headline group and category of $dimension
-- columns: need_group, category, assessments_listing, assessments, share (0 to 1)
-- parameters: $start, $end (dates, inclusive); $dimension ('locality' | 'age_band' |
--             'imd_decile' | 'all'); filters $locality, $hub, $service (null = all)
with

in_period as (
    select
        assessment_id,
        case $dimension
            when 'locality' then coalesce(locality_id, 'unknown')
            when 'age_band' then age_band
            when 'imd_decile' then coalesce(imd_decile::varchar, 'unknown')
            else 'all'
        end as category
    from assessment_facts
    where
        completed_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
),

denominators as (
    select
        category,
        count(*) as assessments
    from in_period
    group by category
),

groups as (
    select distinct
        need_group,
        min(sort_order) over (partition by need_group) as group_order
    from need_codes
),

listed as (
    select
        in_period.category,
        need_codes.need_group,
        count(distinct in_period.assessment_id) as assessments_listing
    from in_period
    inner join assessment_needs on in_period.assessment_id = assessment_needs.assessment_id
    inner join need_codes on assessment_needs.need = need_codes.need
    group by all
)

select
    groups.need_group,
    denominators.category,
    coalesce(listed.assessments_listing, 0) as assessments_listing,
    denominators.assessments,
    coalesce(listed.assessments_listing, 0) / denominators.assessments as share
from denominators
cross join groups
left join listed
    on denominators.category = listed.category and groups.need_group = listed.need_group
order by groups.group_order, denominators.category
