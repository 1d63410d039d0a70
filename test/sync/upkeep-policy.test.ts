import t from 'tap'
import { upkeepDue, type UpkeepPolicyOptions } from '../../src/sync/upkeep-policy.ts'

const OPTIONS: UpkeepPolicyOptions = { growthShare: 0.2, minPages: 8 }

// [what, pages now, pages at the last upkeep, due]
const CASES: Array<[string, number, number, boolean]> = [
  ['a new table, empty', 0, 0, false],
  ['a table never analyzed, a few pages: not yet', 8, 0, false],
  ['a table never analyzed, past the floor: due', 9, 0, true],
  ['just analyzed: its size is the recorded one', 5000, 5000, false],
  ['grown by a fifth and the floor: not yet', 6008, 5000, false],
  ['grown by more than a fifth and the floor: due', 6009, 5000, true],
  ['an empty queue that was once 275,000 rows long: smaller, never due', 100, 6700, false]
]

for (const [what, pages, pagesAtLastUpkeep, due] of CASES) {
  t.test(what, async (t) => {
    t.equal(upkeepDue({ pages, pagesAtLastUpkeep }, OPTIONS), due)
  })
}
