import h3
import numpy as np
from sqlalchemy import ARRAY, BigInteger, Engine, func, literal, select

from observatory.grid import parent_expression
from tests.observatory.test_grid import random_cells


def test_sql_parents_match_h3(engine: Engine) -> None:
    cells = random_cells(500, 12, seed=3)
    pentagon_children = [h3.str_to_int(p) for p in h3.get_pentagons(12)]
    values = [
        *cells.tolist(),
        *np.array(pentagon_children, dtype=np.uint64).view(np.int64).tolist(),
    ]
    given = func.unnest(literal(values, ARRAY(BigInteger))).table_valued("c").render_derived()
    with engine.connect() as conn:
        for res in (0, 1, 2, 6, 9, 11):
            query = select(parent_expression(given.c.c, res))
            got = [r[0] for r in conn.execute(query)]
            expected = [
                h3.str_to_int(h3.cell_to_parent(h3.int_to_str(v & 0xFFFFFFFFFFFFFFFF), res))
                for v in values
            ]
            assert np.array(got, dtype=np.int64).view(np.uint64).tolist() == expected, res
