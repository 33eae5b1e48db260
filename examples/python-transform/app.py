"""A krest transform plugin in Python: every produced record gets the header `x-python: yes`;
records read by consumers pass unchanged. build.sh turns it into a Wasm component."""

from typing import List

from wit_world import exports
from wit_world.exports.transformer import (
    Direction,
    Header,
    KafkaRecord,
    Outcome,
    Outcome_Keep,
    Outcome_Replace,
)


class Transformer(exports.Transformer):
    def apply(self, direction: Direction, records: List[KafkaRecord]) -> List[Outcome]:
        if direction == Direction.CONSUME:
            return [Outcome_Keep() for _ in records]
        outcomes: List[Outcome] = []
        for record in records:
            record.headers.append(Header(name="x-python", value=b"yes"))
            outcomes.append(Outcome_Replace(record))
        return outcomes
