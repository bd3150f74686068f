-- place_number: the number a locality, hub (a catchment is its hub) or small area has in
-- place_numbers (derive_child_places), which the fact tables carry to filter and group on.
-- grain: one row, or none when the store has no such place
-- columns: number
-- parameters: $dimension ('locality' | 'hub' | 'area'), $code (the place's id or code)
select number
from place_numbers
where dimension = $dimension and code = $code
