-- need_prevalence_by: the share of assessments completed in the period listing each need, by
-- one dimension of the child or family (the needs analysis page's breakdowns).
-- grain: one row per need code and category of $dimension
-- columns: need, need_group, category, assessments_listing (numerator), assessments
--          (denominator), share (0 to 1)
-- parameters: $start, $end (dates, inclusive); $dimension ('locality' | 'age_band' |
--             'imd_decile' | 'thrive_group' | 'all'); filters $locality, $hub, $service
with

in_period as (
    select
        assessment_id,
        case $dimension
            when 'locality' then coalesce(locality_id, 'unknown')
            when 'age_band' then age_band
            when 'imd_decile' then coalesce(imd_decile::varchar, 'unknown')
            when 'thrive_group' then thrive_group
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

listed as (
    select
        in_period.category,
        assessment_needs.need,
        count(*) as assessments_listing
    from in_period
    inner join assessment_needs on in_period.assessment_id = assessment_needs.assessment_id
    group by all
)

select
    need_codes.need,
    need_codes.need_group,
    denominators.category,
    coalesce(listed.assessments_listing, 0) as assessments_listing,
    denominators.assessments,
    coalesce(listed.assessments_listing, 0) / denominators.assessments as share
from denominators
cross join need_codes
left join listed
    on denominators.category = listed.category and need_codes.need = listed.need
order by need_codes.sort_order, denominators.category
